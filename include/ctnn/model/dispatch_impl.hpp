#pragma once
// The definition behind ctnn::detail::InferOn, for the per-ISA translation units that
// ctnn_add_dispatched_inference() generates. CTNN_INSTANTIATE_INFERENCE(Net, Precision, Arch)
// there compiles Net's inference in one precision for one instruction set.
#include "dispatch.hpp"

namespace ctnn::detail {

template <class Net, class Precision>
template <class Arch>
void InferOn<Net, Precision>::run(typename Precision::parameters p, const float* x, std::size_t batch, float* y,
                                  float* slot0, float* slot1, float* scratch) noexcept {
    run_inference<Net, Arch>(p, x, batch, y, slot0, slot1, scratch);
}

}  // namespace ctnn::detail

#define CTNN_INSTANTIATE_INFERENCE(NET, PRECISION, ARCH)                                                   \
    template void ctnn::detail::InferOn<NET, PRECISION>::run<ARCH>(PRECISION::parameters, const float*,    \
                                                                   std::size_t, float*, float*, float*, \
                                                                   float*) noexcept;
