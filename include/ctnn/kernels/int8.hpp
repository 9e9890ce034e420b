#pragma once
// int8 products for inference: weights quantised per output (symmetric, int8), inputs per
// tensor (affine, uint8 with a zero point), products summed exactly in int32:
//   q(x)  = clamp(round(x / s_x) + z, 0, 255)            (NaN -> 0; round to nearest even)
//   acc_o = sum_k q(x)_k W8[o][k]                          (exact: no rounding, no saturation)
//   y_o   = epilogue(float(acc_o - z sum_k W8[o][k]) * s_x s_o + b_o)
// Integer sums do not depend on their order, so every instruction set computes the same acc,
// to the bit, as the scalar reference does.
//
// The weight is packed once, when a model is quantised, in blocks of 16 outputs: for each
// quad of inputs (k .. k+3), 64 bytes holding the 16 outputs' four weights side by side
//   packed[(o / 16) * quads + k / 4][o % 16][k % 4] = W8[o][k]      (zeros past In and Out)
// the layout of vpdpbusd (AVX512_VNNI, AVX-VNNI): one instruction multiplies a broadcast input
// quad by that row and adds the four products into 16 int32 sums, one per output. Without VNNI
// (AVX-512BW, AVX2, SSE2) the row's bytes are sign-extended to two vectors of 16-bit pairs
// (k, k+2) and (k+1, k+3) by shifts, and vpmaddwd multiplies each by the input pairs held in
// that order: exact (no 16-bit saturation, as vpmaddubsw would risk), two instructions a quad.
// AVX-256 and narrower load half or a quarter of a block's row.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <immintrin.h>
#include "arch.hpp"
#include "elementwise.hpp"
#include "linear.hpp"

namespace ctnn::kernels {

/// How a tensor of activations is quantised: q = clamp(round(x / scale) + zero_point, 0, 255).
struct ActivationQuantization {
    float scale = 1.0f;
    std::int32_t zero_point = 0;

    float inverse() const noexcept { return 1.0f / scale; }

    /// PyTorch's MinMaxObserver for quint8: the range [min, max] widened to hold 0, in 255 steps.
    static ActivationQuantization from_range(float min, float max) noexcept {
        min = std::min(min, 0.0f);
        max = std::max(max, 0.0f);
        ActivationQuantization q;
        q.scale = std::max((max - min) / 255.0f, 1.1920928955078125e-07f);  // float epsilon, as PyTorch
        q.zero_point = std::clamp(std::int32_t(-std::nearbyint(min / q.scale)), std::int32_t{0}, std::int32_t{255});
        return q;
    }
};

/// One value quantised: x * inverse rounded to nearest even, plus the zero point, in [0, 255];
/// a NaN reads as the smallest value. The vector version computes the same, to the bit.
inline std::uint8_t quantize(float x, float inverse, std::int32_t zero_point) noexcept {
    float v = x * inverse;
    if (!(v > -512.0f)) v = -512.0f;  // NaN too
    if (!(v < 512.0f)) v = 512.0f;
    return std::uint8_t(std::clamp(std::int32_t(std::nearbyint(v)) + zero_point, std::int32_t{0}, std::int32_t{255}));
}

/// Weights per output, as PyTorch's PerChannelMinMaxObserver (qint8, per_channel_symmetric,
/// quant range [-127, 127]) and fake_quantize_per_channel_affine compute them:
///   scale_o = max(max_k |W[o][k]|, ...) / 127 (at least float epsilon), W8[o][k] = round(W[o][k] * (1 / scale_o)).
inline float weight_scale(const float* row, std::size_t n) noexcept {
    float m = 0;
    for (std::size_t k = 0; k < n; ++k) m = std::max(m, std::fabs(row[k]));
    return std::max(m / 127.0f, 1.1920928955078125e-07f);
}
inline std::int8_t quantize_weight(float w, float scale) noexcept {
    return std::int8_t(std::clamp(std::nearbyint(w * (1.0f / scale)), -127.0f, 127.0f));
}

/// The packed weight of Out x In: blocks of 16 outputs, each a row of 64 bytes per input quad.
constexpr std::size_t int8_quads(std::size_t in) noexcept { return (in + 3) / 4; }
constexpr std::size_t int8_packed_size(std::size_t out, std::size_t in) noexcept {
    return (out + 15) / 16 * int8_quads(in) * 64;
}
/// Where W8[o][k] of an Out x In weight lives in its packed form.
constexpr std::size_t int8_packed_index(std::size_t in, std::size_t o, std::size_t k) noexcept {
    return ((o / 16) * int8_quads(in) + k / 4) * 64 + (o % 16) * 4 + k % 4;
}

namespace detail {

/// The integer vectors of one register width, by intrinsics (xsimd 8 has no pairwise multiply-add).
template <std::size_t Bits>
struct IntVec;

template <>
struct IntVec<128> {
    using R = __m128i;
    static R zero() noexcept { return _mm_setzero_si128(); }
    static R load(const void* p) noexcept { return _mm_loadu_si128(static_cast<const R*>(p)); }
    static R broadcast(std::uint32_t v) noexcept { return _mm_set1_epi32(int(v)); }
    static R add(R a, R b) noexcept { return _mm_add_epi32(a, b); }
    static R madd(R a, R b) noexcept { return _mm_madd_epi16(a, b); }
    static R even_bytes(R v) noexcept { return _mm_srai_epi16(_mm_slli_epi16(v, 8), 8); }
    static R odd_bytes(R v) noexcept { return _mm_srai_epi16(v, 8); }
    static void store(std::int32_t* p, R v) noexcept { _mm_storeu_si128(reinterpret_cast<R*>(p), v); }
    // Quantised inputs (int32 lanes in [0, 255]) to 16-bit values, each quad as (k, k+2, k+1, k+3).
    static void store_pairs(std::uint16_t* dst, R v) noexcept {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_shufflelo_epi16(_mm_packs_epi32(v, v), 0xD8));
    }
};
#if defined(__AVX2__)
template <>
struct IntVec<256> {
    using R = __m256i;
    static R zero() noexcept { return _mm256_setzero_si256(); }
    static R load(const void* p) noexcept { return _mm256_loadu_si256(static_cast<const R*>(p)); }
    static R broadcast(std::uint32_t v) noexcept { return _mm256_set1_epi32(int(v)); }
    static R add(R a, R b) noexcept { return _mm256_add_epi32(a, b); }
    static R madd(R a, R b) noexcept { return _mm256_madd_epi16(a, b); }
    static R even_bytes(R v) noexcept { return _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8); }
    static R odd_bytes(R v) noexcept { return _mm256_srai_epi16(v, 8); }
    static void store(std::int32_t* p, R v) noexcept { _mm256_storeu_si256(reinterpret_cast<R*>(p), v); }
    static void store_pairs(std::uint16_t* dst, R v) noexcept {
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_shufflehi_epi16(_mm_shufflelo_epi16(w, 0xD8), 0xD8));
    }
    static void store_bytes(std::uint8_t* dst, R v) noexcept {
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_packus_epi16(w, w));
    }
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    static constexpr bool vnni = true;
    static R dpbusd(R acc, R u8, R s8) noexcept { return _mm256_dpbusd_epi32(acc, u8, s8); }
#elif defined(__AVXVNNI__)
    static constexpr bool vnni = true;
    static R dpbusd(R acc, R u8, R s8) noexcept { return _mm256_dpbusd_avx_epi32(acc, u8, s8); }
#else
    static constexpr bool vnni = false;
#endif
};
#endif
#if defined(__AVX512BW__)
template <>
struct IntVec<512> {
    using R = __m512i;
    static R zero() noexcept { return _mm512_setzero_si512(); }
    static R load(const void* p) noexcept { return _mm512_loadu_si512(p); }
    static R broadcast(std::uint32_t v) noexcept { return _mm512_set1_epi32(int(v)); }
    static R add(R a, R b) noexcept { return _mm512_add_epi32(a, b); }
    static R madd(R a, R b) noexcept { return _mm512_madd_epi16(a, b); }
    static R even_bytes(R v) noexcept { return _mm512_srai_epi16(_mm512_slli_epi16(v, 8), 8); }
    static R odd_bytes(R v) noexcept { return _mm512_srai_epi16(v, 8); }
    static void store(std::int32_t* p, R v) noexcept { _mm512_storeu_si512(p, v); }
    static void store_pairs(std::uint16_t* dst, R v) noexcept {
        const __m256i w = _mm512_cvtepi32_epi16(v);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(w, 0xD8), 0xD8));
    }
    static void store_bytes(std::uint8_t* dst, R v) noexcept {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(v));
    }
#if defined(__AVX512VNNI__)
    static constexpr bool vnni = true;
    static R dpbusd(R acc, R u8, R s8) noexcept { return _mm512_dpbusd_epi32(acc, u8, s8); }
#else
    static constexpr bool vnni = false;
#endif
};
#endif

template <class IV>
concept HasVnni = requires { requires IV::vnni; };

/// The widest integer vector Arch's build has: AVX-512 needs AVX512BW, 256 bits AVX2.
template <class Arch>
constexpr std::size_t int_bits() noexcept {
#if defined(__AVX512BW__)
    if constexpr (lanes<Arch> >= 16) return 512;
#endif
#if defined(__AVX2__)
    if constexpr (lanes<Arch> >= 8) return 256;
#endif
    return 128;
}

/// The products of one instruction set: vpdpbusd where the build has VNNI (unless Vnni is
/// false, to test the other path), else the widening pairs. Input is how a sample is held: its
/// uint8 values, or (pairwise) as 16-bit values in the order (k, k+2, k+1, k+3) of each quad.
template <class Arch, bool Vnni = true>
struct Int8Math {
    using IV = IntVec<int_bits<Arch>()>;
    using R = typename IV::R;
    static constexpr bool vnni = Vnni && HasVnni<IV>;
    static constexpr std::size_t lanes = sizeof(R) / 4;
    using Input = std::conditional_t<vnni, std::uint8_t, std::uint16_t>;
    static constexpr bool wide = sizeof(R) == 64;             // 32 registers
    static constexpr std::size_t rows = wide ? (vnni ? 6 : 4) : (vnni ? 4 : 3);
    static constexpr std::size_t cols = wide ? 4 : 2;
    static constexpr std::size_t cols_one = wide ? 8 : 8;

    /// Quantises one sample of n values into `quads` quads (zeros past n).
    static void convert(const float* x, std::size_t n, std::size_t quads, float inverse, std::int32_t zero_point,
                        Input* dst) noexcept;

    template <std::size_t RB, std::size_t NB>
    [[gnu::always_inline]] static void step(R (&acc)[RB][NB], const Input* x, std::size_t x_stride,
                                            const std::int8_t* const (&w)[NB]) noexcept {
        if constexpr (vnni) {
            R wv[NB];
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NB; ++j) {
                wv[j] = IV::load(w[j]);
#if defined(__GNUC__) && !defined(__clang__)
                if constexpr (RB > 1) asm("" : "+v"(wv[j]));  // one load per weight row (in_register)
#endif
            }
#pragma GCC unroll 16
            for (std::size_t r = 0; r < RB; ++r) {
                std::uint32_t quad;
                std::memcpy(&quad, x + r * x_stride, 4);
                const R xq = IV::broadcast(quad);
#pragma GCC unroll 16
                for (std::size_t j = 0; j < NB; ++j) acc[r][j] = IV::dpbusd(acc[r][j], xq, wv[j]);
            }
        } else {
            R even[NB], odd[NB];
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NB; ++j) {
                const R v = IV::load(w[j]);
                even[j] = IV::even_bytes(v);
                odd[j] = IV::odd_bytes(v);
            }
#pragma GCC unroll 16
            for (std::size_t r = 0; r < RB; ++r) {
                std::uint32_t p02, p13;
                std::memcpy(&p02, x + r * x_stride, 4);
                std::memcpy(&p13, x + r * x_stride + 2, 4);
                const R x02 = IV::broadcast(p02), x13 = IV::broadcast(p13);
#pragma GCC unroll 16
                for (std::size_t j = 0; j < NB; ++j)
                    acc[r][j] = IV::add(acc[r][j], IV::add(IV::madd(even[j], x02), IV::madd(odd[j], x13)));
            }
        }
    }
};

template <class Arch, bool Vnni>
void Int8Math<Arch, Vnni>::convert(const float* x, std::size_t n, std::size_t quads, float inverse,
                                   std::int32_t zero_point, Input* dst) noexcept {
    using M = Int8Math;
    using V = fvec<Arch>;
    using I = xsimd::batch<std::int32_t, Arch>;
    constexpr std::size_t L = kernels::lanes<Arch>;
    auto put = [&](std::size_t k, std::int32_t v) {
        if constexpr (vnni) dst[k] = Input(v);
        else dst[k / 4 * 4 + (k % 2) * 2 + (k % 4) / 2] = Input(v);  // (k, k+2, k+1, k+3)
    };
    std::size_t k = 0;
    if constexpr (L == M::lanes) {  // the float vectors are as wide as the integer ones
        const V inv(inverse), lo(-512.0f), hi(512.0f);
        for (const std::size_t end = n / L * L; k < end; k += L) {
            V v = V::load_unaligned(x + k) * inv;
            v = xsimd::select(v > lo, v, lo);  // NaN too
            v = xsimd::select(v < hi, v, hi);
            const I r = xsimd::min(xsimd::max(xsimd::nearbyint_as_int(v) + I(zero_point), I(0)), I(255));
            if constexpr (vnni) IV::store_bytes(dst + k, R(r));
            else IV::store_pairs(dst + k, R(r));
        }
    }
    for (; k < n; ++k) put(k, quantize(x[k], inverse, zero_point));
    for (; k < 4 * quads; ++k) put(k, 0);
}

/// RB samples (quantised, `quads` quads a row) against NB output vectors starting at output
/// `first`: out[r][j * lanes + l] = the int32 sum for sample r and output first + j * lanes + l.
template <std::size_t Quads, std::size_t RB, std::size_t NB, class M>
[[gnu::noinline]] void int8_tile(const typename M::Input* x, const std::int8_t* packed, std::size_t first,
                                 std::int32_t* out) noexcept {
    using IV = typename M::IV;
    typename M::R acc[RB][NB];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < RB; ++r)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) acc[r][j] = IV::zero();
    const std::int8_t* w[NB];
    for (std::size_t j = 0; j < NB; ++j) {
        const std::size_t o = first + j * M::lanes;
        w[j] = packed + (o / 16) * Quads * 64 + (o % 16) * 4;
    }
    for (std::size_t k = 0; k < Quads; ++k) {
        M::template step<RB, NB>(acc, x + 4 * k, 4 * Quads, w);
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) w[j] += 64;
    }
#pragma GCC unroll 16
    for (std::size_t r = 0; r < RB; ++r)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NB; ++j) IV::store(out + (r * NB + j) * M::lanes, acc[r][j]);
}

/// The dequantised outputs of one tile: y[r][c] = epilogue(float(acc - offset) * scale + bias)
/// for `rows` rows of n outputs.
template <class Epilogue, class Arch>
inline void int8_finish(const std::int32_t* acc, std::size_t acc_stride, std::size_t rows, std::size_t n,
                        const std::int32_t* offset, const float* scale, const float* bias, float* y,
                        std::size_t y_stride) noexcept {
    using V = fvec<Arch>;
    using I = xsimd::batch<std::int32_t, Arch>;
    constexpr std::size_t L = lanes<Arch>;
    for (std::size_t r = 0; r < rows; ++r) {
        std::size_t c = 0;
        for (const std::size_t end = n / L * L; c < end; c += L) {
            const V sum = xsimd::to_float(I::load_unaligned(acc + r * acc_stride + c) - I::load_unaligned(offset + c));
            Epilogue::apply(xsimd::fma(sum, V::load_unaligned(scale + c), V::load_unaligned(bias + c)))
                .store_unaligned(y + r * y_stride + c);
        }
        for (; c < n; ++c)
            y[r * y_stride + c] =
                Epilogue::apply(std::fma(float(acc[r * acc_stride + c] - offset[c]), scale[c], bias[c]));
    }
}

}  // namespace detail

/// What an int8 Linear needs besides its packed weight: the input's quantisation and, per
/// output, the scale s_x s_o, the zero point's share z sum_k W8[o][k], and the bias (fp32).
struct Int8LinearParams {
    const std::int8_t* packed;
    float inverse;            // 1 / s_x
    std::int32_t zero_point;  // z
    const float* scale;       // [Out]
    const std::int32_t* offset;  // [Out]
    const float* bias;        // [Out]
};

/// Y = epilogue(dequantised(q(X) W8^T) + b) for `batch` rows of fp32 inputs. The quantised
/// samples live on the stack: a few rows (6 at most) of In rounded up to 4 values.
template <std::size_t In, std::size_t Out, class Epilogue, class Arch = default_arch, bool Vnni = true>
void int8_linear_forward(const float* x, std::size_t batch, const Int8LinearParams& p, float* y) noexcept {
    using M = detail::Int8Math<Arch, Vnni>;
    using Input = typename M::Input;
    constexpr std::size_t Quads = int8_quads(In), Width = 4 * Quads, L = M::lanes;
    constexpr std::size_t vectors = (Out + L - 1) / L;
    const float inverse = p.inverse;
    alignas(64) Input xq[M::rows * Width];
    auto rows = [&]<std::size_t R, std::size_t NB>(std::size_t first) {
        for (std::size_t r = 0; r < R; ++r) M::convert(x + (first + r) * In, In, Quads, inverse, p.zero_point, xq + r * Width);
        alignas(64) std::int32_t acc[R * NB * L];
        auto emit = [&](std::size_t o, std::size_t width) {
            detail::int8_finish<Epilogue, Arch>(acc, width, R, o + width <= Out ? width : Out - o, p.offset + o,
                                                p.scale + o, p.bias + o, y + first * Out + o, Out);
        };
        constexpr std::size_t wide_end = vectors / NB * NB;
        for (std::size_t v = 0; v < wide_end; v += NB) {
            detail::int8_tile<Quads, R, NB, M>(xq, p.packed, v * L, acc);
            emit(v * L, NB * L);
        }
        for (std::size_t v = wide_end; v < vectors; ++v) {
            detail::int8_tile<Quads, R, 1, M>(xq, p.packed, v * L, acc);
            emit(v * L, L);
        }
    };
    kernels::detail::for_row_blocks<M::rows, M::cols, M::cols_one>(batch, rows);
}

/// The same computed one product at a time: the reference every instruction set is held to.
template <std::size_t In, std::size_t Out, class Epilogue>
void int8_linear_reference(const float* x, std::size_t batch, const Int8LinearParams& p, float* y) noexcept {
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t o = 0; o < Out; ++o) {
            std::int32_t acc = 0;
            for (std::size_t k = 0; k < In; ++k)
                acc += std::int32_t(quantize(x[r * In + k], p.inverse, p.zero_point)) *
                       p.packed[int8_packed_index(In, o, k)];
            y[r * Out + o] = Epilogue::apply(std::fma(float(acc - p.offset[o]), p.scale[o], p.bias[o]));
        }
}

}  // namespace ctnn::kernels
