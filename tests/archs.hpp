#pragma once
// The instruction sets the kernel tests instantiate side by side: SSE2 always; AVX2 and AVX-512
// when the build's -march has them.
#include <tuple>
#include <xsimd/xsimd.hpp>

#if defined(CTNN_TEST_BEST_ARCH_ONLY)
// The sanitizer build: the best instruction set only (the others run in the sse2, native and
// clang configurations); a third of the kernel tests' compile time under ASan.
using Archs = std::tuple<xsimd::default_arch>;
#elif defined(CTNN_TEST_SKIP_SSE2_KERNELS) && XSIMD_WITH_FMA3_AVX2
// SSE2 runs in the build for plain x86-64 (tools/run-tests.sh), compiled as it ships.
using Archs = std::tuple<xsimd::fma3<xsimd::avx2>
#if XSIMD_WITH_AVX512BW
                         , xsimd::avx512bw
#endif
                         >;
#else
using Archs = std::tuple<xsimd::sse2
#if XSIMD_WITH_FMA3_AVX2
                         , xsimd::fma3<xsimd::avx2>
#endif
#if XSIMD_WITH_AVX512BW
                         , xsimd::avx512bw
#endif
                         >;
#endif
