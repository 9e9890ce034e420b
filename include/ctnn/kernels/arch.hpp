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

/// Vector registers the register-blocked kernels may plan for: 32 with AVX-512 (zmm0-31, also
/// when a CPU runs it on 256-bit halves, as Zen 4 does), 16 with AVX2 and SSE2. A property of the
/// instruction set, not of the vector width: AVX-512 code on 256-bit vectors still has 32.
template <class Arch>
inline constexpr std::size_t vector_registers = std::is_base_of_v<xsimd::avx512f, Arch> ? 32 : 16;

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

/// AVX-512 with VNNI and BF16 (Intel Cooper Lake and Sapphire Rapids, AMD Zen 4 and later): the
/// int8 and bf16 dot products (vpdpbusd, vdpbf16ps), for the reduced-precision models of a
/// run-time dispatched build. Its vectors are avx512bw's; the tag is a type of its own so that
/// kernels compiled with those instructions never share a name with kernels compiled without.
struct avx512_vnni_bf16 : xsimd::avx512bw {
    static constexpr char const* name() noexcept { return "avx512bw+vnni+bf16"; }
};

/// The instruction sets a run-time dispatched build compiles, best first; SSE2 is the x86-64
/// baseline (model/dispatch.hpp). Reduced precision adds AVX-512 with VNNI and BF16.
using dispatch_archs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;
using reduced_precision_dispatch_archs =
    xsimd::arch_list<avx512_vnni_bf16, xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

/// The best instruction set of the CPU running this, as xsimd numbers them (Arch::version()).
inline unsigned best_available_arch() noexcept { return xsimd::available_architectures().best; }

/// Whether the CPU running this (and its operating system) runs code built for Arch.
template <class Arch>
bool cpu_runs() noexcept {
    if constexpr (std::is_same_v<Arch, avx512_vnni_bf16>) {
#if defined(__GNUC__)
        return cpu_runs<xsimd::avx512bw>() && __builtin_cpu_supports("avx512vnni") &&
               __builtin_cpu_supports("avx512bf16");
#else
        return false;
#endif
    } else {
        return Arch::version() <= best_available_arch();
    }
}

/// The position in List of the first instruction set the CPU runs (the last, SSE2, runs on any
/// x86-64).
template <class Arch, class... Rest>
unsigned first_runnable(xsimd::arch_list<Arch, Rest...>) noexcept {
    if constexpr (sizeof...(Rest) == 0) return 0;
    else return cpu_runs<Arch>() ? 0 : 1 + first_runnable(xsimd::arch_list<Rest...>{});
}

/// f.template operator()<Arch>() for the instruction set at `position` in List.
template <class F, class Arch, class... Rest>
decltype(auto) with_arch_at(unsigned position, F&& f, xsimd::arch_list<Arch, Rest...>) {
    if constexpr (sizeof...(Rest) == 0) return f.template operator()<Arch>();
    else if (position == 0) return f.template operator()<Arch>();
    else return with_arch_at(position - 1, static_cast<F&&>(f), xsimd::arch_list<Rest...>{});
}

/// Name of the instruction set, for benchmarks and tests that report which path ran.
template <class Arch = default_arch>
constexpr const char* arch_name() noexcept { return Arch::name(); }

}  // namespace ctnn::kernels

#if XSIMD_WITH_AVX512BW
// xsimd's vectors for the tag: avx512bw's.
namespace xsimd::types {
template <class T>
struct get_bool_simd_register<T, ctnn::kernels::avx512_vnni_bf16> {
    using type = simd_avx512_bool_register<T>;
};
XSIMD_DECLARE_SIMD_REGISTER_ALIAS(ctnn::kernels::avx512_vnni_bf16, avx512bw);
}  // namespace xsimd::types
#endif
