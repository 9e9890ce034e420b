#pragma once
// Run-time dispatch of inference across SSE2, AVX2 and AVX-512, for a program built once for
// generic x86-64 that must run on any x86-64 CPU and still use AVX2 or AVX-512 where the CPU has
// them; and for bf16 and int8 models, AVX-512 with the VNNI and BF16 dot products where it has
// those.
//
// xsimd's AVX2 and AVX-512 code can only be compiled with those instruction sets enabled, so
// each instruction set's inference is compiled in a translation unit of its own (with -march for
// it) and picked at run time from the CPU's features. The CMake function
// ctnn_add_dispatched_inference() (cmake/CtnnDispatch.cmake, installed with ctnn) makes those
// translation units; docs/embedding.md shows its use. This header is what the program's own code
// includes: it declares the per-ISA entry points and chooses one. DispatchedInference has the
// inference API of a model (model/inference.hpp): forward(x, y), forward(xs, ys, scratch), ...
#include <cstddef>
#include <type_traits>
#include "../kernels/arch.hpp"
#include "bf16_model.hpp"
#include "inference.hpp"
#include "int8_model.hpp"
#include "model_view.hpp"

namespace ctnn {

/// The precisions a DispatchedInference runs: what it reads of the model (run by the
/// detail::run_inference overload for it) and the instruction sets it picks from, best first.
namespace precision {
/// A model's fp32 parameters (a Seq, a ModelView).
struct fp32 {
    using parameters = const float*;
    using archs = kernels::dispatch_archs;
};
/// A Bf16Model's.
struct bf16 {
    using parameters = detail::Bf16Parameters;
    using archs = kernels::reduced_precision_dispatch_archs;
};
/// An Int8Model's.
struct int8 {
    using parameters = detail::Int8Parameters;
    using archs = kernels::reduced_precision_dispatch_archs;
};
}  // namespace precision

namespace detail {
/// Net's inference in one precision for one instruction set: declared here, defined and
/// explicitly instantiated in the per-ISA translation units (model/dispatch_impl.hpp).
template <class Net, class Precision = precision::fp32>
struct InferOn {
    template <class Arch>
    static void run(typename Precision::parameters p, const float* x, std::size_t batch, float* y, float* slot0,
                    float* slot1, float* scratch) noexcept;
};
}  // namespace detail

/// Inference of a model, compiled for several instruction sets, run on the best the CPU has.
/// It reads the model's parameters where they are: the model must outlive it.
template <class Net, class Precision = precision::fp32>
class DispatchedInference : public detail::InferenceApi<DispatchedInference<Net, Precision>, Net> {
public:
    /// The instruction sets it picks from, best first.
    using archs = typename Precision::archs;

    /// Runs the parameters of `model` (a Seq, or a ModelView of any block); reads the CPU's
    /// features once.
    explicit DispatchedInference(ModelView<Net> model) noexcept
        requires std::is_same_v<Precision, precision::fp32>
        : DispatchedInference(model.parameters()) {}
    /// Runs a Bf16Model (made in any build: its layout is the same for every instruction set).
    template <class Arch>
    explicit DispatchedInference(const Bf16Model<Net, Arch>& model) noexcept
        requires std::is_same_v<Precision, precision::bf16>
        : DispatchedInference(model.parameters()) {}
    /// Runs an Int8Model (likewise).
    template <class Arch>
    explicit DispatchedInference(const Int8Model<Net, Arch>& model) noexcept
        requires std::is_same_v<Precision, precision::int8>
        : DispatchedInference(model.parameters()) {}

    // A Bf16Model or Int8Model given to another precision: one message that names the right one.
    template <class Arch>
    explicit DispatchedInference(const Bf16Model<Net, Arch>&) noexcept
        requires(!std::is_same_v<Precision, precision::bf16>)
        : params_{}, position_{} {
        static_assert(sizeof(Arch) == 0, "a Bf16Model dispatches as ctnn::DispatchedInference<Net, ctnn::precision::bf16> "
                                         "(or let the model choose: ctnn::DispatchedInference d(model);)");
    }
    template <class Arch>
    explicit DispatchedInference(const Int8Model<Net, Arch>&) noexcept
        requires(!std::is_same_v<Precision, precision::int8>)
        : params_{}, position_{} {
        static_assert(sizeof(Arch) == 0, "an Int8Model dispatches as ctnn::DispatchedInference<Net, ctnn::precision::int8> "
                                         "(or let the model choose: ctnn::DispatchedInference d(model);)");
    }

    /// The instruction set forward() runs: "avx512bw+vnni+bf16" (bf16 and int8 models),
    /// "avx512bw", "fma3+avx2" or "sse2".
    const char* arch_name() const noexcept {
        return kernels::with_arch_at(position_, []<class Arch>() { return Arch::name(); }, archs{});
    }

private:
    friend detail::InferenceApi<DispatchedInference, Net>;

    explicit DispatchedInference(typename Precision::parameters p) noexcept
        : params_(p), position_(kernels::first_runnable(archs{})) {}

    void run(const float* x, std::size_t batch, float* y, float* slot0, float* slot1, float* scratch) const noexcept {
        kernels::with_arch_at(
            position_,
            [&]<class Arch>() {
                detail::InferOn<Net, Precision>::template run<Arch>(params_, x, batch, y, slot0, slot1, scratch);
            },
            archs{});
    }

    typename Precision::parameters params_;
    unsigned position_;
};

template <class Net, class Arch>
DispatchedInference(const Bf16Model<Net, Arch>&) -> DispatchedInference<Net, precision::bf16>;
template <class Net, class Arch>
DispatchedInference(const Int8Model<Net, Arch>&) -> DispatchedInference<Net, precision::int8>;

}  // namespace ctnn
