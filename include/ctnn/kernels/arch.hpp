#pragma once
// The instruction set kernels are compiled for. By default the best one the compiler targets
// (-march); a kernel takes the architecture as a template parameter (xsimd's arch tags), so the
// same code can be instantiated for SSE2, AVX2 and AVX-512 in one binary.
#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>

// CTNN_FLATTEN: inline everything a kernel calls into it (a recurrent step: the gate rows stay in
// registers). Not under the sanitizers, where the instrumented xsimd functions it pulls in made
// one test file compile for minutes (test_rtneural: 268 s against 31 s).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CTNN_FLATTEN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CTNN_FLATTEN
#endif
#endif
#ifndef CTNN_FLATTEN
#define CTNN_FLATTEN [[gnu::flatten]]
#endif

namespace ctnn::kernels {

using default_arch = xsimd::default_arch;

template <class Arch>
using fvec = xsimd::batch<float, Arch>;

/// Floats per SIMD register for Arch.
template <class Arch>
inline constexpr std::size_t lanes = fvec<Arch>::size;

/// The next narrower instruction set of the same machine, for rows shorter than a vector
/// (AVX-512 -> AVX2 -> SSE2); void below SSE2.
template <class Arch>
using narrower_arch = std::conditional_t<
    (lanes<Arch> > 8), xsimd::avx2, std::conditional_t<(lanes<Arch> > 4), xsimd::sse2, void>>;

/// Vector registers the register-blocked kernels may plan for (AVX-512 has 32, the rest 16).
template <class Arch>
inline constexpr std::size_t vector_registers = lanes<Arch> >= 16 ? 32 : 16;

/// Keeps a register-blocked operand in a register. g++ 12 otherwise folds its load into every
/// FMA that uses it (a memory operand per FMA), which makes the blocked products load-bound:
/// measured 2x slower on this project's GEMMs. An empty asm that claims to modify the register
/// stops that; clang needs no help.
template <class B>
inline B in_register(B v) noexcept {
#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
    auto r = typename B::register_type(v);
    asm("" : "+v"(r));
    return B(r);
#else
    return v;
#endif
}

/// The instruction sets a run-time dispatched build compiles, best first; SSE2 is the x86-64
/// baseline (model/dispatch.hpp).
using dispatch_archs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

/// The best instruction set of the CPU running this, as xsimd numbers them (Arch::version()).
inline unsigned best_available_arch() noexcept { return xsimd::available_architectures().best; }

/// f.template operator()<Arch>() for the best of dispatch_archs that a CPU whose best is `best`
/// runs (SSE2 on any x86-64).
template <class F, class Arch, class... Rest>
decltype(auto) with_dispatch_arch(unsigned best, F&& f, xsimd::arch_list<Arch, Rest...>) {
    if constexpr (sizeof...(Rest) == 0) return f.template operator()<Arch>();
    else if (Arch::version() <= best) return f.template operator()<Arch>();
    else return with_dispatch_arch(best, static_cast<F&&>(f), xsimd::arch_list<Rest...>{});
}
template <class F>
decltype(auto) with_dispatch_arch(unsigned best, F&& f) {
    return with_dispatch_arch(best, static_cast<F&&>(f), dispatch_archs{});
}

/// Name of the instruction set, for benchmarks and tests that report which path ran.
template <class Arch = default_arch>
constexpr const char* arch_name() noexcept { return Arch::name(); }

}  // namespace ctnn::kernels
