#pragma once
// bfloat16 products for inference: weights and inputs in bf16 (the upper half of a float),
// products summed in fp32, as PyTorch's and oneDNN's bf16 matrix products do:
//   Y = epilogue(bf16(X W^T + b)), rounded to bf16 again after the epilogue
//
// The weight is packed once, when a model is converted, in blocks of 16 outputs: for each pair
// of inputs (k, k+1), 64 bytes holding the 16 outputs' two weights side by side
//   packed[(o / 16) * pairs + k / 2][o % 16][k % 2] = W[o][k]      (zeros past In and Out)
// the layout vdpbf16ps wants: with AVX512_BF16 one instruction multiplies a broadcast input pair
// by that row and adds both products into 16 fp32 sums, one per output, so no sum is ever
// reduced across lanes. Without it (AVX-512 without BF16, AVX2, SSE2) the row is split into its
// even and odd weights by a shift and a mask (exact: a bf16 is the upper half of a float) and
// two FMAs add them, in the same lanes: the same products, summed in another order. Batches run
// on AMX where the build targets it and the OS grants it (kernels/bf16_amx.hpp), in 32 x 32 tiles.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <immintrin.h>
#include "arch.hpp"
#include "bf16_amx.hpp"
#include "elementwise.hpp"
#include "linear.hpp"

namespace ctnn::kernels {

/// float -> bf16, to nearest even, as PyTorch's c10::BFloat16 rounds (a NaN stays a NaN).
inline std::uint16_t to_bf16(float f) noexcept {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    return std::uint16_t((u & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC0u : rounded);
}
inline float from_bf16(std::uint16_t b) noexcept { return std::bit_cast<float>(std::uint32_t(b) << 16); }
inline float round_to_bf16(float f) noexcept { return from_bf16(to_bf16(f)); }

/// The same on a vector, to the bit: integer arithmetic on the float's bits.
template <class Arch>
inline fvec<Arch> round_to_bf16(fvec<Arch> v) noexcept {
    using U = xsimd::batch<std::uint32_t, Arch>;
    const U u = xsimd::bitwise_cast<U>(v);
    const U rounded = (u + U(0x7FFFu) + ((u >> 16) & U(1u))) & U(0xFFFF0000u);
    const auto nan = (u & U(0x7FFFFFFFu)) > U(0x7F800000u);  // both below 2^31: any compare will do
    return xsimd::bitwise_cast<fvec<Arch>>(xsimd::select(nan, U(0x7FC00000u), rounded));
}

/// y = x rounded to bf16, n floats (they stay floats); y may be x.
template <class Arch = default_arch>
inline void round_to_bf16(const float* x, std::size_t n, float* y) noexcept {
    constexpr std::size_t L = lanes<Arch>;
    std::size_t i = 0;
    for (const std::size_t end = n / L * L; i < end; i += L)
        round_to_bf16<Arch>(fvec<Arch>::load_unaligned(x + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] = round_to_bf16(x[i]);
}

/// dst = x in bf16, n values. With AVX512_BF16, by vcvtne2ps2bf16 (32 values an instruction),
/// which rounds as to_bf16 does but reads a float below 2^-126 as zero (PyTorch keeps it as a
/// bf16 subnormal): a product of such an input is below what an fp32 sum of anything else keeps.
template <class Arch = default_arch>
inline void to_bf16(const float* x, std::size_t n, std::uint16_t* dst) noexcept {
    std::size_t i = 0;
#if defined(__AVX512BF16__)
    if constexpr (lanes<Arch> == 16) {
        for (const std::size_t end = n / 32 * 32; i < end; i += 32) {
            const __m512bh pairs = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
            _mm512_storeu_si512(dst + i, (__m512i)pairs);  // NOLINT: a vector cast
        }
    }
#endif
#if defined(__AVX512F__)
    if constexpr (lanes<Arch> == 16) {
        for (const std::size_t end = n / 16 * 16; i < end; i += 16) {
            const __m512i bits = _mm512_castps_si512(round_to_bf16<Arch>(fvec<Arch>::load_unaligned(x + i)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm512_cvtepi32_epi16(_mm512_srli_epi32(bits, 16)));
        }
    }
#endif
    for (; i < n; ++i) dst[i] = to_bf16(x[i]);
}

/// The packed weight of Out x In: blocks of 16 outputs, each a row of 32 values per input pair,
/// In rounded up to 32 (an AMX tile's depth).
constexpr std::size_t bf16_pairs(std::size_t in) noexcept { return (in + 31) / 32 * 16; }
constexpr std::size_t bf16_packed_size(std::size_t out, std::size_t in) noexcept {
    return (out + 15) / 16 * bf16_pairs(in) * 32;
}
/// Where W[o][k] of an Out x In weight lives in its packed form.
constexpr std::size_t bf16_packed_index(std::size_t in, std::size_t o, std::size_t k) noexcept {
    return ((o / 16) * bf16_pairs(in) + k / 2) * 32 + (o % 16) * 2 + k % 2;
}

namespace detail {

/// Whether Arch multiplies bf16 pairs natively (vdpbf16ps): AVX-512 built with AVX512_BF16.
template <class Arch>
inline constexpr bool native_bf16 =
#if defined(__AVX512BF16__)
    lanes<Arch> == 16;
#else
    false;
#endif

/// acc[r][j] += x_r[k, k+1] . (the weights of output vector j for inputs k, k+1), one input pair
/// at a time. `Input` is how the samples are held (bf16 pairs natively; else rounded floats), rows
/// the samples of a register block and cols its output vectors (rows_one for one sample).
template <class Arch, bool Native = native_bf16<Arch>>
struct Bf16Math {
    using V = fvec<Arch>;
    using U = xsimd::batch<std::uint32_t, Arch>;
    using Input = float;
    static constexpr bool wide = vector_registers<Arch> >= 32;
    static constexpr std::size_t rows = wide ? 4 : 3, cols = wide ? 4 : 2, cols_one = wide ? 8 : 4;

    static void convert(const float* x, std::size_t n, Input* dst) noexcept { round_to_bf16<Arch>(x, n, dst); }

    template <std::size_t RB, std::size_t NB>
    [[gnu::always_inline]] static void step(V (&acc)[RB][NB], const Input* x, std::size_t x_stride,
                                            const std::uint16_t* const (&w)[NB]) noexcept {
        V even[NB], odd[NB];
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) {
            const U v = U::load_unaligned(reinterpret_cast<const std::uint32_t*>(w[j]));
            even[j] = in_register(xsimd::bitwise_cast<V>(v << 16));
            odd[j] = in_register(xsimd::bitwise_cast<V>(v & U(0xFFFF0000u)));
        }
#pragma GCC unroll 16
        for (std::size_t r = 0; r < RB; ++r) {
            const V x0(x[r * x_stride]), x1(x[r * x_stride + 1]);
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NB; ++j) acc[r][j] = xsimd::fma(x1, odd[j], xsimd::fma(x0, even[j], acc[r][j]));
        }
    }
};
#if defined(__AVX512BF16__)
template <class Arch>
struct Bf16Math<Arch, true> {
    using V = fvec<Arch>;
    using Input = std::uint16_t;
    static constexpr std::size_t rows = 6, cols = 4, cols_one = 8;

    static void convert(const float* x, std::size_t n, Input* dst) noexcept { to_bf16<Arch>(x, n, dst); }

    template <std::size_t RB, std::size_t NB>
    [[gnu::always_inline]] static void step(V (&acc)[RB][NB], const Input* x, std::size_t x_stride,
                                            const std::uint16_t* const (&w)[NB]) noexcept {
        __m512i wv[NB];
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) {
            wv[j] = _mm512_loadu_si512(w[j]);
#if defined(__GNUC__) && !defined(__clang__)
            // As in_register: one load per weight row, not one per sample. One sample reads each
            // row once: the load then folds into the product (a register less per output vector).
            if constexpr (RB > 1) asm("" : "+v"(wv[j]));
#endif
        }
#pragma GCC unroll 16
        for (std::size_t r = 0; r < RB; ++r) {
            std::uint32_t pair;
            std::memcpy(&pair, x + r * x_stride, sizeof pair);
            const __m512i xp = _mm512_set1_epi32(int(pair));
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NB; ++j)
                acc[r][j] = V(_mm512_dpbf16_ps(static_cast<__m512>(acc[r][j]), (__m512bh)xp,  // NOLINT: vector casts
                                               (__m512bh)wv[j]));                             // NOLINT
        }
    }
};
#endif

/// RB samples (converted, 2 x Pairs values a row) against NB output vectors starting at output
/// `first`: out[r][j * lanes + l] = the sum for sample r and output first + j * lanes + l.
template <std::size_t Pairs, std::size_t RB, std::size_t NB, class Arch, class M = Bf16Math<Arch>>
[[gnu::noinline]] void bf16_tile(const typename M::Input* x, const std::uint16_t* packed, std::size_t first,
                                 float* out) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    V acc[RB][NB];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < RB; ++r)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) acc[r][j] = V(0.0f);
    const std::uint16_t* w[NB];
    for (std::size_t j = 0; j < NB; ++j) {
        const std::size_t o = first + j * L;
        w[j] = packed + (o / 16) * Pairs * 32 + (o % 16) * 2;
    }
    for (std::size_t k = 0; k < Pairs; ++k) {
        M::template step<RB, NB>(acc, x + 2 * k, 2 * Pairs, w);
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) w[j] += 32;
    }
#pragma GCC unroll 16
    for (std::size_t r = 0; r < RB; ++r)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) acc[r][j].store_unaligned(out + (r * NB + j) * L);
}

/// y[r][c] = out[r][c] + bias[c] for `rows` rows of n values (rows `out_stride` and `y_stride` long).
template <class Arch>
inline void add_bias(const float* out, std::size_t out_stride, std::size_t rows, std::size_t n, const float* bias,
                     float* y, std::size_t y_stride) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    for (std::size_t r = 0; r < rows; ++r) {
        std::size_t c = 0;
        for (const std::size_t end = n / L * L; c < end; c += L)
            (V::load_unaligned(out + r * out_stride + c) + V::load_unaligned(bias + c)).store_unaligned(y + r * y_stride + c);
        for (; c < n; ++c) y[r * y_stride + c] = out[r * out_stride + c] + bias[c];
    }
}

#if CTNN_AMX
/// `rows` (at most 32) converted samples, as the tile configuration holds them, against every
/// output: y = x W^T + b, not yet rounded.
template <std::size_t In, std::size_t Out, std::size_t Pairs>
inline void amx_rows(const std::uint16_t* x, std::size_t rows, const std::uint16_t* packed, const float* bias,
                     float* y) noexcept {
    constexpr std::size_t blocks = (Out + 15) / 16;
    alignas(64) float out[32 * 32];
    auto run = [&]<std::size_t MR>() {
        for (std::size_t b = 0; b < blocks; b += 2) {
            const std::size_t nr = b + 1 < blocks ? 2 : 1;
            if (nr == 2) amx_tile<Pairs, MR, 2>(x, packed, b, out);
            else amx_tile<Pairs, MR, 1>(x, packed, b, out);
            const std::size_t first = b * 16, n = first + nr * 16 <= Out ? nr * 16 : Out - first;
            add_bias<xsimd::avx512bw>(out, nr * 16, rows, n, bias + first, y + first, Out);
        }
    };
    if (rows > 16) run.template operator()<2>();
    else run.template operator()<1>();
}
#endif

/// RB converted samples against every output: y = x W^T + b, not yet rounded.
template <std::size_t In, std::size_t Out, std::size_t RB, std::size_t NB, class Arch>
inline void bf16_rows(const typename Bf16Math<Arch>::Input* x, const std::uint16_t* packed, const float* bias,
                      float* y) noexcept {
    constexpr std::size_t L = lanes<Arch>, Pairs = bf16_pairs(In), vectors = (Out + L - 1) / L;
    constexpr std::size_t wide_end = vectors / NB * NB;
    alignas(64) float out[RB * NB * L];
    auto emit = [&](std::size_t first, std::size_t width) {
        add_bias<Arch>(out, width, RB, first + width <= Out ? width : Out - first, bias + first, y + first, Out);
    };
    for (std::size_t v = 0; v < wide_end; v += NB) {
        bf16_tile<Pairs, RB, NB, Arch>(x, packed, v * L, out);
        emit(v * L, NB * L);
    }
    for (std::size_t v = wide_end; v < vectors; ++v) {
        bf16_tile<Pairs, RB, 1, Arch>(x, packed, v * L, out);
        emit(v * L, L);
    }
}

/// The sums to bf16, then the epilogue and bf16 again: where PyTorch's bf16 model rounds.
template <class Epilogue, class Arch>
inline void bf16_finish(float* y, std::size_t n) noexcept {
    if constexpr (std::is_same_v<Epilogue, identity_op>) {
        round_to_bf16<Arch>(y, n, y);
    } else {
        using V = fvec<Arch>;
        constexpr std::size_t L = lanes<Arch>;
        std::size_t i = 0;
        for (const std::size_t end = n / L * L; i < end; i += L)
            round_to_bf16<Arch>(Epilogue::apply(round_to_bf16<Arch>(V::load_unaligned(y + i)))).store_unaligned(y + i);
        for (; i < n; ++i) y[i] = round_to_bf16(Epilogue::apply(round_to_bf16(y[i])));
    }
}

#if CTNN_AMX
/// bf16_linear_forward on AMX: up to Capacity samples converted at a time, on the stack
/// (Capacity x In values: one sample takes one row, a batch 32; In is at most 2048).
template <std::size_t In, std::size_t Out, class Epilogue, class Arch, std::size_t Capacity>
[[gnu::noinline]] void amx_forward(const float* x, std::size_t batch, const std::uint16_t* packed, const float* bias,
                                   float* y) noexcept {
    constexpr std::size_t Width = 2 * bf16_pairs(In);
    alignas(64) std::uint16_t xa[Capacity * Width];
    std::size_t configured = 0;  // samples the tile configuration holds
    for (std::size_t first = 0; first < batch; first += Capacity) {
        const std::size_t n = batch - first < Capacity ? batch - first : Capacity;
        if (n != configured) {
            _tile_loadconfig(&tile_configs[n]);
            configured = n;
        }
        for (std::size_t r = 0; r < n; ++r) {
            to_bf16<Arch>(x + (first + r) * In, In, xa + r * Width);
            for (std::size_t i = In; i < Width; ++i) xa[r * Width + i] = 0;
        }
        amx_rows<In, Out, Width / 2>(xa, n, packed, bias, y + first * Out);
        bf16_finish<Epilogue, Arch>(y + first * Out, n * Out);
    }
    _tile_release();
}
#endif

}  // namespace detail

/// Y = epilogue(X W^T + b) in bf16 for `batch` rows. X is fp32 (rounded to bf16 here); W is
/// packed (bf16_packed_index); b is fp32 holding bf16 values; Y receives bf16 values as floats.
/// The samples being converted live on the stack: a few rows of In values (6 at most; on AMX one
/// for a single sample, 32 for a batch: 51 KiB for In = 784).
template <std::size_t In, std::size_t Out, class Epilogue, class Arch = default_arch>
void bf16_linear_forward(const float* x, std::size_t batch, const std::uint16_t* packed, const float* bias,
                         float* y) noexcept {
    using M = detail::Bf16Math<Arch>;
    constexpr std::size_t Width = 2 * bf16_pairs(In), RB = M::rows;
    using Input = typename M::Input;
    alignas(64) Input xb[RB * Width];
    auto convert = [&](std::size_t first, std::size_t count) {
        for (std::size_t r = 0; r < count; ++r) {
            M::convert(x + (first + r) * In, In, xb + r * Width);
            for (std::size_t i = In; i < Width; ++i) xb[r * Width + i] = Input{0};
        }
    };
    auto rows = [&]<std::size_t R, std::size_t NB>(std::size_t first) {
        convert(first, R);
        detail::bf16_rows<In, Out, R, NB, Arch>(xb, packed, bias, y + first * Out);
        detail::bf16_finish<Epilogue, Arch>(y + first * Out, R * Out);
    };
#if CTNN_AMX
    if constexpr (lanes<Arch> == 16 && Width <= 2048) {
        if (amx_ready()) {
            if (batch == 1) detail::amx_forward<In, Out, Epilogue, Arch, 1>(x, batch, packed, bias, y);
            else detail::amx_forward<In, Out, Epilogue, Arch, 32>(x, batch, packed, bias, y);
            return;
        }
    }
#endif
    detail::for_row_blocks<RB, M::cols, M::cols_one>(batch, rows);
}

}  // namespace ctnn::kernels
