#pragma once
// The definition behind ctnn::InferOn, for the per-ISA translation units that
// ctnn_add_dispatched_inference() generates. CTNN_INSTANTIATE_INFERENCE(Net, Arch) there
// compiles Net's inference for one instruction set.
#include "seq.hpp"
#include "dispatch.hpp"

namespace ctnn {

template <class Net>
template <class Arch>
void InferOn<Net>::operator()(Arch, const float* params, const float* x, float* y) const noexcept {
    Net::template infer<Arch>(params, x, y);
}

}  // namespace ctnn

#define CTNN_INSTANTIATE_INFERENCE(NET, ARCH) \
    template void ctnn::InferOn<NET>::operator()<ARCH>(ARCH, const float*, const float*, float*) const noexcept;
