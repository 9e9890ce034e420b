#pragma once
// A matrix transposed: dst (cols x rows) from src (rows x cols), both row-major. In tiles of a
// vector's rows by a vector's columns, each transposed in registers: 8 x 8 with AVX (also on
// AVX-512 CPUs: a 16 x 16 tile would hold half the registers for a copy), 4 x 4 with SSE; the
// edges one element at a time. A sequence's recorded states (time x units) become the next
// layer's rows (units x time) this way: one at a time it was 7% of a GRU-32's sequence forward.
#include <cstddef>
#include <type_traits>
#include "arch.hpp"
#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace ctnn::kernels {

namespace detail {
template <class Arch>
inline constexpr std::size_t transpose_tile =
#if defined(__SSE2__)
    std::is_base_of_v<xsimd::avx, Arch> || std::is_base_of_v<xsimd::avx512f, Arch> ? 8
    : std::is_base_of_v<xsimd::sse2, Arch>                                          ? 4
                                                                                    : 1;
#else
    1;
#endif

/// One tile: src's B rows of B floats (s floats apart) into dst's B rows (d floats apart).
template <std::size_t B>
[[gnu::always_inline]] inline void transpose_block(const float* src, std::size_t s, float* dst, std::size_t d) noexcept {
#if defined(__SSE2__)
    if constexpr (B == 8) {
        __m256 r[8], t[8];
#pragma GCC unroll 8
        for (std::size_t i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * s);
#pragma GCC unroll 4
        for (std::size_t i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
        }
#pragma GCC unroll 2
        for (std::size_t i = 0; i < 8; i += 4) {
            r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);      // a0 b0 c0 d0 | a4 b4 c4 d4
            r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);  // a1 b1 c1 d1 | a5 ...
            r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
#pragma GCC unroll 4
        for (std::size_t i = 0; i < 4; ++i) {
            _mm256_storeu_ps(dst + i * d, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
            _mm256_storeu_ps(dst + (i + 4) * d, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
        }
        return;
    } else if constexpr (B == 4) {
        __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + s), r2 = _mm_loadu_ps(src + 2 * s),
               r3 = _mm_loadu_ps(src + 3 * s);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _mm_storeu_ps(dst, r0);
        _mm_storeu_ps(dst + d, r1);
        _mm_storeu_ps(dst + 2 * d, r2);
        _mm_storeu_ps(dst + 3 * d, r3);
        return;
    }
#endif
    for (std::size_t i = 0; i < B; ++i)
        for (std::size_t j = 0; j < B; ++j) dst[j * d + i] = src[i * s + j];
}
}  // namespace detail

/// dst[c * d + r] = src[r * s + c] for r < rows, c < cols: a block of a matrix whose rows are s
/// floats apart into one whose rows are d apart (dst and src do not overlap).
template <class Arch = default_arch>
inline void transpose(const float* __restrict src, std::size_t rows, std::size_t cols, std::size_t s,
                      float* __restrict dst, std::size_t d) noexcept {
    constexpr std::size_t B = detail::transpose_tile<Arch>, chunk = 8 * B;
    const std::size_t r_end = rows / B * B, c_end = cols / B * B;
    // Tiles column block by column block within chunks of 8 tiles of rows: each of dst's rows is
    // written 8 tiles on end, whole cache lines, while its lines are in L1. Row block by row
    // block, a tall matrix's tiles went to every row of dst in turn, rows whose distance (a
    // power of two: 4096 time steps) put them all in the same L1 set: 7% of a 64-unit GRU's
    // sequence forward.
    for (std::size_t r0 = 0; r0 < r_end; r0 += chunk) {
        const std::size_t r1 = r0 + chunk < r_end ? r0 + chunk : r_end;
        for (std::size_t c = 0; c < c_end; c += B)
            for (std::size_t r = r0; r < r1; r += B) detail::transpose_block<B>(src + r * s + c, s, dst + c * d + r, d);
    }
    for (std::size_t r = 0; r < rows; ++r)  // the columns past the last whole tile
        for (std::size_t c = c_end; c < cols; ++c) dst[c * d + r] = src[r * s + c];
    for (std::size_t r = r_end; r < rows; ++r)  // the rows past it
        for (std::size_t c = 0; c < c_end; ++c) dst[c * d + r] = src[r * s + c];
}

/// dst[c * rows + r] = src[r * cols + c] for r < rows, c < cols (dst and src do not overlap).
template <class Arch = default_arch>
inline void transpose(const float* __restrict src, std::size_t rows, std::size_t cols, float* __restrict dst) noexcept {
    transpose<Arch>(src, rows, cols, cols, dst, rows);
}

}  // namespace ctnn::kernels
