#pragma once
// Run-time dispatch of single-sample inference across SSE2, AVX2 and AVX-512, for a program
// built once for generic x86-64 that must run on any x86-64 CPU and still use AVX2 or AVX-512
// where the CPU has them.
//
// xsimd's AVX2 and AVX-512 code can only be compiled with those instruction sets enabled, so
// each instruction set's inference is compiled in a translation unit of its own (with -march for
// it) and picked at run time from the CPU's features. The CMake function
// ctnn_add_dispatched_inference() (in cmake/CtnnDispatch.cmake, installed with ctnn) makes
// those translation units; docs/embedding.md shows its use. This header is what the program's
// own code includes: it declares the per-ISA entry points and chooses one.
#include <cstddef>
#include <xsimd/xsimd.hpp>

namespace ctnn {

/// The instruction sets a dispatched build compiles, best first; SSE2 is the x86-64 baseline.
using dispatch_archs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

/// infer<Arch>(params, x, y) of Net: declared here, defined and explicitly instantiated in the
/// per-ISA translation units (model/dispatch_impl.hpp).
template <class Net>
struct InferOn {
    template <class Arch>
    void operator()(Arch, const float* params, const float* x, float* y) const noexcept;
};

template <class Net>
class DispatchedInference {
public:
    /// Reads the CPU's features once.
    DispatchedInference() noexcept : best_(xsimd::available_architectures().best) {}

    /// One sample with the best instruction set this CPU has among dispatch_archs.
    void operator()(const float* params, const float* x, float* y) const noexcept { walk(params, x, y, dispatch_archs{}); }

    /// The name of the instruction set operator() runs ("avx512bw", "fma3+avx2", "sse2").
    const char* arch_name() const noexcept { return name(dispatch_archs{}); }

private:
    template <class Arch, class... Rest>
    void walk(const float* params, const float* x, float* y, xsimd::arch_list<Arch, Rest...>) const noexcept {
        if constexpr (sizeof...(Rest) == 0) InferOn<Net>{}(Arch{}, params, x, y);
        else if (Arch::version() <= best_) InferOn<Net>{}(Arch{}, params, x, y);
        else walk(params, x, y, xsimd::arch_list<Rest...>{});
    }
    template <class Arch, class... Rest>
    const char* name(xsimd::arch_list<Arch, Rest...>) const noexcept {
        if constexpr (sizeof...(Rest) == 0) return Arch::name();
        else return Arch::version() <= best_ ? Arch::name() : name(xsimd::arch_list<Rest...>{});
    }
    unsigned best_;
};

}  // namespace ctnn
