#pragma once
// Run-time dispatch of inference across SSE2, AVX2 and AVX-512, for a program built once for
// generic x86-64 that must run on any x86-64 CPU and still use AVX2 or AVX-512 where the CPU has
// them.
//
// xsimd's AVX2 and AVX-512 code can only be compiled with those instruction sets enabled, so
// each instruction set's inference is compiled in a translation unit of its own (with -march for
// it) and picked at run time from the CPU's features. The CMake function
// ctnn_add_dispatched_inference() (cmake/CtnnDispatch.cmake, installed with ctnn) makes those
// translation units; docs/embedding.md shows its use. This header is what the program's own code
// includes: it declares the per-ISA entry points and chooses one. DispatchedInference has the
// inference API of a model (model/inference.hpp): forward(x, y), forward(xs, ys, scratch), ...
#include <cstddef>
#include "../kernels/arch.hpp"
#include "inference.hpp"
#include "model_view.hpp"

namespace ctnn {

namespace detail {
/// Net's inference for one instruction set: declared here, defined and explicitly instantiated
/// in the per-ISA translation units (model/dispatch_impl.hpp).
template <class Net>
struct InferOn {
    template <class Arch>
    static void run(const float* params, const float* x, std::size_t batch, float* y, float* slot0, float* slot1,
                    float* scratch) noexcept;
};
}  // namespace detail

template <class Net>
class DispatchedInference : public detail::InferenceApi<DispatchedInference<Net>, Net> {
public:
    /// Runs the parameters of `model` (a Seq, or a ModelView of any block); reads the CPU's
    /// features once.
    explicit DispatchedInference(ModelView<Net> model) noexcept
        : params_(model.parameters()), best_(kernels::best_available_arch()) {}

    /// The instruction set forward() runs: "avx512bw", "fma3+avx2" or "sse2".
    const char* arch_name() const noexcept {
        return kernels::with_dispatch_arch(best_, []<class Arch>() { return Arch::name(); });
    }

private:
    friend detail::InferenceApi<DispatchedInference, Net>;
    void run(const float* x, std::size_t batch, float* y, float* slot0, float* slot1, float* scratch) const noexcept {
        kernels::with_dispatch_arch(best_, [&]<class Arch>() {
            detail::InferOn<Net>::template run<Arch>(params_, x, batch, y, slot0, slot1, scratch);
        });
    }

    const float* params_;
    unsigned best_;
};

}  // namespace ctnn
