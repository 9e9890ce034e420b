#pragma once
// The definition behind ctnn::detail::InferOn, for the per-ISA translation units that
// ctnn_add_dispatched_inference() generates. CTNN_INSTANTIATE_INFERENCE(Net, Arch) there
// compiles Net's inference for one instruction set.
#include "dispatch.hpp"
#include "inference.hpp"

namespace ctnn::detail {

template <class Net>
template <class Arch>
void InferOn<Net>::run(const float* params, const float* x, std::size_t batch, float* y, float* slot0, float* slot1,
                       float* scratch) noexcept {
    run_inference<Net, Arch>(params, x, batch, y, slot0, slot1, scratch);
}

}  // namespace ctnn::detail

#define CTNN_INSTANTIATE_INFERENCE(NET, ARCH)                                                                      \
    template void ctnn::detail::InferOn<NET>::run<ARCH>(const float*, const float*, std::size_t, float*, float*, \
                                                        float*, float*) noexcept;
