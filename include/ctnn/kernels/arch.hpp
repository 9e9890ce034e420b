#pragma once
// The instruction set kernels are compiled for. By default the best one the compiler targets
// (-march); a kernel takes the architecture as a template parameter (xsimd's arch tags), so the
// same code can be instantiated for SSE2, AVX2 and AVX-512 in one binary.
#include <cstddef>
#include <xsimd/xsimd.hpp>

namespace ctnn::kernels {

using default_arch = xsimd::default_arch;

template <class Arch>
using fvec = xsimd::batch<float, Arch>;

/// Floats per SIMD register for Arch.
template <class Arch>
inline constexpr std::size_t lanes = fvec<Arch>::size;

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

/// Name of the instruction set, for benchmarks and tests that report which path ran.
template <class Arch = default_arch>
constexpr const char* arch_name() noexcept { return Arch::name(); }

}  // namespace ctnn::kernels
