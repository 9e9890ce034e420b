#pragma once
// 2-D convolution as PyTorch's nn.Conv2d computes it (cross-correlation, zero padding, stride,
// dilation, groups), one sample at a time, samples C x H x W row-major:
//   forward        Y[o, p]  = b[o] + sum_k W[o, k] col[k, p]              (then the epilogue)
//   weight grad    dW[o, k] += sum_p dY[o, p] col[k, p],  db[o] += sum_p dY[o, p]
//   input grad     dcol[k, p] = sum_o W[o, k] dY[o, p],   dX = col2im(dcol)
// per group, where col = im2col(X) holds, for every kernel tap k = (c, kh, kw), the input value
// each output position p = (oh, ow) sees through that tap. Lowering to im2col turns every
// product into one of the register-blocked products of linear.hpp, with the output positions
// (hundreds) along the vector lanes: measured on LeNet's layers this beats a direct convolution
// whose vectors run along one output row (24 or 8 wide: a third of an AVX-512 register idle).
// A 1x1 convolution of stride 1 without padding is its own im2col and skips it.
// The geometry is a template parameter: every loop bound is a compile-time constant.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>
#include "activation_ops.hpp"
#include "arch.hpp"
#include "elementwise.hpp"
#include "linear.hpp"

namespace ctnn::kernels {

/// Everything a convolution's loops need, computed once at compile time by the layer.
struct ConvGeometry {
    std::size_t in_channels = 0, height = 0, width = 0;  // input C x H x W
    std::size_t out_channels = 0, kernel_h = 0, kernel_w = 0;
    std::size_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
    std::size_t pad_top = 0, pad_left = 0;        // zeros before the first row / column
    std::size_t pad_bottom = 0, pad_right = 0;    // zeros after the last ("same" may pad unevenly)
    std::size_t groups = 1;

    constexpr std::size_t out_height() const noexcept {
        const std::size_t span = dilation_h * (kernel_h - 1) + 1, padded = pad_top + height + pad_bottom;
        return padded < span ? 0 : (padded - span) / stride_h + 1;
    }
    constexpr std::size_t out_width() const noexcept {
        const std::size_t span = dilation_w * (kernel_w - 1) + 1, padded = pad_left + width + pad_right;
        return padded < span ? 0 : (padded - span) / stride_w + 1;
    }
    constexpr std::size_t positions() const noexcept { return out_height() * out_width(); }  // P
    /// Taps per output channel: the K of the products (in_channels / groups x kernel).
    constexpr std::size_t taps_per_group() const noexcept { return in_channels / groups * kernel_h * kernel_w; }
    constexpr std::size_t taps() const noexcept { return in_channels * kernel_h * kernel_w; }
    constexpr std::size_t outs_per_group() const noexcept { return out_channels / groups; }
    /// A 1x1, stride-1, unpadded convolution reads its input as the im2col matrix.
    constexpr bool is_pointwise() const noexcept {
        return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top + pad_left + pad_bottom +
                                                                                         pad_right == 0;
    }
    /// Floats of working memory: the im2col matrix, a weight gradient, a row of zeros (the
    /// bias-free products) and one group's output gradient transposed.
    constexpr std::size_t scratch_floats() const noexcept {
        const std::size_t col = is_pointwise() ? 0 : taps() * positions();
        return round16(col) + round16(out_channels * taps_per_group()) + round16(taps_per_group()) +
               round16(outs_per_group() * positions());
    }

private:
    static constexpr std::size_t round16(std::size_t n) noexcept { return (n + 15) / 16 * 16; }
};

namespace detail {
template <ConvGeometry G>
struct ConvScratch {
    static constexpr std::size_t col = 0;
    static constexpr std::size_t weight_grad = G.is_pointwise() ? 0 : (G.taps() * G.positions() + 15) / 16 * 16;
    static constexpr std::size_t zeros = weight_grad + (G.out_channels * G.taps_per_group() + 15) / 16 * 16;
    static constexpr std::size_t transposed = zeros + (G.taps_per_group() + 15) / 16 * 16;
};

/// Kernel column kw of every row: output columns [lo, hi) read input column ow * stride + shift,
/// the others read padding. Compile-time, so that the row loops have constant bounds (the
/// compiler vectorises them at any width: LeNet's rows are 24 and 8 wide).
template <ConvGeometry G, std::size_t KW>
struct TapColumns {
    static constexpr std::ptrdiff_t shift = std::ptrdiff_t(KW * G.dilation_w) - std::ptrdiff_t(G.pad_left);
    static constexpr std::size_t lo = [] {
        std::size_t l = 0;
        while (l < G.out_width() && std::ptrdiff_t(l * G.stride_w) + shift < 0) ++l;
        return l;
    }();
    static constexpr std::size_t hi = [] {
        std::size_t h = G.out_width();
        while (h > lo && std::ptrdiff_t((h - 1) * G.stride_w) + shift >= std::ptrdiff_t(G.width)) --h;
        return h;
    }();
};

/// f.template operator()<KW>() for every kernel column.
template <std::size_t KW, class F>
inline void for_each_kernel_column(F&& f) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<I>(), ...); }(std::make_index_sequence<KW>{});
}

/// The input row output row oh reads through kernel row kh, or -1 for a padding row.
template <ConvGeometry G>
constexpr std::ptrdiff_t input_row(std::size_t oh, std::size_t kh) noexcept {
    const std::ptrdiff_t ih = std::ptrdiff_t(oh * G.stride_h + kh * G.dilation_h) - std::ptrdiff_t(G.pad_top);
    return ih >= std::ptrdiff_t(G.height) ? -1 : ih;
}

/// out[0, N) = in[0, N) in vectors; the last vector overlaps the one before when N is not a
/// multiple of the width, and a row shorter than a vector takes narrower ones (LeNet's second
/// convolution reads rows of 8: one AVX2 vector on an AVX-512 machine).
template <std::size_t N, class Arch>
inline void copy_row(const float* in, float* out) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    if constexpr (N >= L) {
        for (std::size_t i = 0; i + L <= N; i += L) V::load_unaligned(in + i).store_unaligned(out + i);
        if constexpr (N % L != 0) V::load_unaligned(in + N - L).store_unaligned(out + N - L);
    } else if constexpr (!std::is_void_v<narrower_arch<Arch>>) {
        copy_row<N, narrower_arch<Arch>>(in, out);
    } else {
        for (std::size_t i = 0; i < N; ++i) out[i] = in[i];
    }
}

/// Keeps g++ from vectorising a scalar copy loop across the output rows of im2col: g++ 12 at -O3
/// merged such rows into wide stores that were wrong when a row was as wide as the input's (rows
/// of zeros where the input was; the kernel tests' uneven-padding case, 5 columns wide, caught
/// it). Rows of 4 or more values are copied with explicit vectors and need no barrier (it would
/// cost a third of im2col's time); clang needs no help.
inline void rows_apart() noexcept {
#if defined(__GNUC__) && !defined(__clang__)
    asm volatile("" ::: "memory");
#endif
}

/// col[k, p] for one sample; rows k = (c, kh, kw), columns p = (oh, ow).
template <ConvGeometry G, class Arch>
inline void im2col(const float* x, float* col) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width(), P = OH * OW;
    for (std::size_t c = 0; c < G.in_channels; ++c)
        for (std::size_t kh = 0; kh < G.kernel_h; ++kh)
            for_each_kernel_column<G.kernel_w>([&]<std::size_t KW>() {
                using T = TapColumns<G, KW>;
                float* row = col + ((c * G.kernel_h + kh) * G.kernel_w + KW) * P;
                for (std::size_t oh = 0; oh < OH; ++oh) {
                    // Rows copied by scalar loops (strided, or under 4 values) are kept apart.
                    if constexpr (G.stride_w != 1 || T::hi - T::lo < 4) rows_apart();
                    float* out = row + oh * OW;
                    const std::ptrdiff_t ih = input_row<G>(oh, kh);
                    if (ih < 0) {
                        std::fill_n(out, OW, 0.0f);
                        continue;
                    }
                    const float* in = x + (c * G.height + std::size_t(ih)) * G.width;
                    std::fill_n(out, T::lo, 0.0f);
                    // Vectors, not std::copy_n: that calls memmove per row (a tenth of LeNet's
                    // training time).
                    if constexpr (G.stride_w == 1)
                        copy_row<T::hi - T::lo, Arch>(in + std::ptrdiff_t(T::lo) + T::shift, out + T::lo);
                    else
                        for (std::size_t ow = T::lo; ow < T::hi; ++ow)
                            out[ow] = in[std::ptrdiff_t(ow * G.stride_w) + T::shift];
                    std::fill_n(out + T::hi, OW - T::hi, 0.0f);
                }
            });
}

/// dx += col2im(dcol): each tap's gradient back to the input value it read.
template <ConvGeometry G>
inline void col2im_add(const float* __restrict dcol, float* __restrict dx) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width(), P = OH * OW;
    for (std::size_t c = 0; c < G.in_channels; ++c)
        for (std::size_t kh = 0; kh < G.kernel_h; ++kh)
            for_each_kernel_column<G.kernel_w>([&]<std::size_t KW>() {
                using T = TapColumns<G, KW>;
                const float* row = dcol + ((c * G.kernel_h + kh) * G.kernel_w + KW) * P;
                for (std::size_t oh = 0; oh < OH; ++oh) {
                    const std::ptrdiff_t ih = input_row<G>(oh, kh);
                    if (ih < 0) continue;
                    float* in = dx + (c * G.height + std::size_t(ih)) * G.width;
                    const float* g = row + oh * OW;
                    for (std::size_t ow = T::lo; ow < T::hi; ++ow) in[std::ptrdiff_t(ow * G.stride_w) + T::shift] += g[ow];
                }
            });
}
}  // namespace detail

namespace detail {
/// A direct convolution for a few input channels, stride 1, no padding, dilation or groups
/// (LeNet's first layer: 1 channel, 25 taps): the vectors run along an output row, read straight
/// from the input row (no im2col copy), full vectors of Arch then one vector of the next
/// narrower instruction set for the rest of the row (24 = 16 + 8 on AVX-512). Chosen by shape:
/// measured on LeNet's first layer, forward 3x and weight gradient 2x faster than im2col, whose
/// copies cost as much as its product when there are only 25 taps per output.
template <ConvGeometry G, class Arch>
struct DirectConv {
    static constexpr std::size_t L = lanes<Arch>, OW = G.out_width();
    static constexpr std::size_t full = OW / L, rest = OW % L;
    static constexpr std::size_t narrow = [] {
        if constexpr (std::is_void_v<narrower_arch<Arch>>) return std::size_t{0};
        else return lanes<narrower_arch<Arch>>;
    }();
    static constexpr std::size_t row_vectors = full + (rest ? 1 : 0);
    /// The instruction set of a row's tail vector.
    using tail_arch = std::conditional_t<std::is_void_v<narrower_arch<Arch>>, Arch, narrower_arch<Arch>>;
    // A row of outputs must fit in the registers (a long sequence, one row of thousands, does not).
    static constexpr bool applies = G.groups == 1 && G.stride_h == 1 && G.stride_w == 1 && G.dilation_h == 1 &&
                                    G.dilation_w == 1 && G.pad_top + G.pad_bottom + G.pad_left + G.pad_right == 0 &&
                                    G.taps() <= 64 && full >= 1 && (rest == 0 || rest == narrow) && row_vectors <= 24;
    // Output channels per pass, from the register file. The forward holds block x row_vectors
    // accumulators, a row of inputs and a broadcast weight; the weight gradient holds kernel_w x
    // grad_block accumulators (one per tap and channel, summing a whole row's vectors: two
    // registers with a narrower tail vector), grad_block dY vectors and an input vector. Passes
    // are balanced (6 channels in 3 + 3, not 4 + 2). AMD EPYC Zen 3 (AVX2), LeNet's first layer
    // at batch 100: forward 388 -> 188 us (6 channels in one pass spilled), weight gradient
    // 438 -> 218 us (one accumulator per vector of a row spilled with 16 registers).
    static constexpr std::size_t balanced(std::size_t most) noexcept {
        most = most < 1 ? 1 : most > 8 ? 8 : most;
        const std::size_t passes = (G.out_channels + most - 1) / most;
        return (G.out_channels + passes - 1) / passes;
    }
    static constexpr std::size_t block = balanced((vector_registers<Arch> - row_vectors - 1) / row_vectors);
    static constexpr std::size_t tap_registers = rest ? 2 : 1;
    static constexpr std::size_t grad_block =
        balanced((vector_registers<Arch> - 1) / (G.kernel_w * tap_registers + 1));
};

/// One row of accumulators: `full` vectors of Arch and, if the row has a tail, one narrower one.
template <ConvGeometry G, class Arch>
struct RowAcc {
    using D = DirectConv<G, Arch>;
    using V = fvec<Arch>;
    using T = std::conditional_t<D::rest != 0, fvec<typename D::tail_arch>, V>;
    V v[D::full];
    T t;
};

/// Output rows oh of channels [o0, o0 + B): y = conv + b, then the epilogue. Out of line, as the
/// weight gradient below: inlined into a whole network's forward, g++ spilled accumulators
/// (LeNet's one-sample forward on AVX2, Zen 3: 8.6 -> 7.7 us).
template <ConvGeometry G, std::size_t B, class Epilogue, class Arch>
[[gnu::noinline]] void direct_rows(const float* x, const float* w, const float* bias, std::size_t o0, float* y) noexcept {
    using D = DirectConv<G, Arch>;
    using A = RowAcc<G, Arch>;
    using V = typename A::V;
    using T = typename A::T;
    constexpr std::size_t L = D::L, OW = D::OW, KK = G.kernel_h * G.kernel_w, P = G.positions();
    for (std::size_t oh = 0; oh < G.out_height(); ++oh) {
        A acc[B];
        for (std::size_t b = 0; b < B; ++b) {
            const float b0 = bias ? bias[o0 + b] : 0.0f;
            for (std::size_t v = 0; v < D::full; ++v) acc[b].v[v] = V(b0);
            if constexpr (D::rest != 0) acc[b].t = T(b0);
        }
        for (std::size_t c = 0; c < G.in_channels; ++c)
            for (std::size_t kh = 0; kh < G.kernel_h; ++kh) {
                const float* row = x + (c * G.height + oh + kh) * G.width;
                for (std::size_t kw = 0; kw < G.kernel_w; ++kw) {
                    // Loaded once for the B channels (g++ would fold a load into each FMA).
                    V xv[D::full];
                    for (std::size_t v = 0; v < D::full; ++v) xv[v] = in_register(V::load_unaligned(row + kw + v * L));
                    [[maybe_unused]] T xt;
                    if constexpr (D::rest != 0) xt = in_register(T::load_unaligned(row + kw + D::full * L));
                    const float* tap = w + (o0 * G.in_channels + c) * KK + kh * G.kernel_w + kw;
#pragma GCC unroll 8
                    for (std::size_t b = 0; b < B; ++b) {
                        const float wv = tap[b * G.in_channels * KK];
                        for (std::size_t v = 0; v < D::full; ++v) acc[b].v[v] = xsimd::fma(V(wv), xv[v], acc[b].v[v]);
                        if constexpr (D::rest != 0) acc[b].t = xsimd::fma(T(wv), xt, acc[b].t);
                    }
                }
            }
        for (std::size_t b = 0; b < B; ++b) {
            float* out = y + (o0 + b) * P + oh * OW;
            for (std::size_t v = 0; v < D::full; ++v) Epilogue::apply(acc[b].v[v]).store_unaligned(out + v * L);
            if constexpr (D::rest != 0) Epilogue::apply(acc[b].t).store_unaligned(out + D::full * L);
        }
    }
}

/// dW[o, c, kh, kw] += sum over the output positions of dY[o, p] x[c, p + (kh, kw)]: for each
/// kernel row, one accumulator per kernel column and channel sums the products of every output
/// row's vectors; each dY vector is loaded once for the kernel columns, each input vector once
/// for the B channels. Reduced once per kernel row and sample.
template <ConvGeometry G, std::size_t B, class Arch>
[[gnu::noinline]] void direct_weight_grad(const float* x, const float* dy, std::size_t o0, float* dw) noexcept {
    using D = DirectConv<G, Arch>;
    using V = typename RowAcc<G, Arch>::V;
    using T = typename RowAcc<G, Arch>::T;
    constexpr std::size_t L = D::L, OW = D::OW, KW = G.kernel_w, KK = G.kernel_h * KW, P = G.positions();
    // acc[kw * B + b] += dY[o0 + b, v] * x[row + kw + v] over the row's vectors v of type U.
    auto accumulate = []<class U>(const float* row, const float* grow, std::size_t v, U* acc) {
        U g[B];
#pragma GCC unroll 8
        for (std::size_t b = 0; b < B; ++b) g[b] = in_register(U::load_unaligned(grow + b * P + v));
#pragma GCC unroll 16
        for (std::size_t kw = 0; kw < KW; ++kw) {
            const U xv = in_register(U::load_unaligned(row + kw + v));
#pragma GCC unroll 8
            for (std::size_t b = 0; b < B; ++b) acc[kw * B + b] = xsimd::fma(g[b], xv, acc[kw * B + b]);
        }
    };
    for (std::size_t c = 0; c < G.in_channels; ++c)
        for (std::size_t kh = 0; kh < G.kernel_h; ++kh) {
            V acc[KW * B];
            [[maybe_unused]] T tail[KW * B];
            for (std::size_t k = 0; k < KW * B; ++k) {
                acc[k] = V(0.0f);
                if constexpr (D::rest != 0) tail[k] = T(0.0f);
            }
            for (std::size_t oh = 0; oh < G.out_height(); ++oh) {
                const float* row = x + (c * G.height + oh + kh) * G.width;
                const float* grow = dy + o0 * P + oh * OW;
                for (std::size_t v = 0; v < D::full * L; v += L) accumulate(row, grow, v, acc);
                if constexpr (D::rest != 0) accumulate(row, grow, D::full * L, tail);
            }
            float sums[KW * B];
            reduce_all<Arch, KW * B>(acc, sums);
            if constexpr (D::rest != 0) {
                float tails[KW * B];
                reduce_all<typename D::tail_arch, KW * B>(tail, tails);
                for (std::size_t k = 0; k < KW * B; ++k) sums[k] += tails[k];
            }
            for (std::size_t kw = 0; kw < KW; ++kw)
                for (std::size_t b = 0; b < B; ++b) dw[((o0 + b) * G.in_channels + c) * KK + kh * KW + kw] += sums[kw * B + b];
        }
}

/// f.template operator()<B>(o0) over the output channels in blocks of B (at least 1).
template <std::size_t Channels, std::size_t B, class F>
inline void for_blocks(F&& f) noexcept {
    constexpr std::size_t end = Channels / B * B;
    for (std::size_t o = 0; o < end; o += B) f.template operator()<B>(o);
    if constexpr (end < Channels) f.template operator()<Channels - end>(end);
}

}  // namespace detail

namespace detail {
/// The sum of N floats, in vectors (a scalar sum is one dependent add per value).
template <std::size_t N, class Arch>
inline float sum(const float* v) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>, vec_end = N / L * L;
    V acc(0.0f);
    for (std::size_t i = 0; i < vec_end; i += L) acc += V::load_unaligned(v + i);
    float s = xsimd::hadd(acc);
    for (std::size_t i = vec_end; i < N; ++i) s += v[i];
    return s;
}
/// One sample's dX = col2im(W^T dY) (overwritten); `scratch` holds the dcol matrix.
template <ConvGeometry G, class Arch>
inline void input_gradient(const float* dy, const float* w, float* dx, float* scratch) noexcept {
    constexpr std::size_t P = G.positions(), K = G.taps_per_group(), O = G.outs_per_group();
    // dcol[k, :] = sum_o W[o, k] dY[o, :]: W read transposed through the strides.
    float* dcol = G.is_pointwise() ? dx : scratch;
    for (std::size_t g = 0; g < G.groups; ++g)
        axpy_product<P, false, Arch>(K, O, w + g * O * K, 1, K, dy + g * O * P, dcol + g * K * P);
    if constexpr (!G.is_pointwise()) {
        std::fill_n(dx, G.in_channels * G.height * G.width, 0.0f);
        col2im_add<G>(dcol, dx);
    }
}
}  // namespace detail

/// X = the input gradient of the convolution G for output gradients Y, for `batch` samples: the
/// transposed convolution (ConvTranspose1D's forward, without its bias).
template <ConvGeometry G, class Arch = default_arch>
inline void conv2d_transposed(const float* y, std::size_t batch, const float* w, float* x, float* scratch) noexcept {
    constexpr std::size_t in_size = G.in_channels * G.height * G.width, out_size = G.out_channels * G.positions();
    for (std::size_t n = 0; n < batch; ++n) detail::input_gradient<G, Arch>(y + n * out_size, w, x + n * in_size, scratch);
}

/// Y = epilogue(conv(X) + b) for `batch` samples; bias may be null (no bias). `scratch` holds
/// G.scratch_floats() floats.
template <ConvGeometry G, class Epilogue = identity_op, class Arch = default_arch>
inline void conv2d_forward(const float* x, std::size_t batch, const float* w, const float* bias, float* y,
                           float* scratch) noexcept {
    constexpr std::size_t P = G.positions(), K = G.taps_per_group(), O = G.outs_per_group();
    constexpr std::size_t in_size = G.in_channels * G.height * G.width, out_size = G.out_channels * P;
    if constexpr (detail::DirectConv<G, Arch>::applies) {
        for (std::size_t n = 0; n < batch; ++n)
            detail::for_blocks<G.out_channels, detail::DirectConv<G, Arch>::block>([&]<std::size_t B>(std::size_t o0) {
                detail::direct_rows<G, B, Epilogue, Arch>(x + n * in_size, w, bias, o0, y + n * out_size);
            });
        return;
    }
    for (std::size_t n = 0; n < batch; ++n) {
        const float* xn = x + n * in_size;
        float* yn = y + n * out_size;
        const float* col = xn;
        if constexpr (!G.is_pointwise()) {
            detail::im2col<G, Arch>(xn, scratch);
            col = scratch;
        }
        for (std::size_t o = 0; o < G.out_channels; ++o) std::fill_n(yn + o * P, P, bias ? bias[o] : 0.0f);
        for (std::size_t g = 0; g < G.groups; ++g)
            detail::axpy_product_fixed<O, P, true, Arch>(K, w + g * O * K, K, 1, col + g * K * P, yn + g * O * P);
        if constexpr (!std::is_same_v<Epilogue, identity_op>) activation_forward<Epilogue, Arch>(yn, out_size, yn);
    }
}

/// dW += sum over samples of dY col^T, db += dY's row sums (db null: no bias), and, if dx is not
/// null, dX = the input gradient (overwritten).
template <ConvGeometry G, class Arch = default_arch>
inline void conv2d_backward(const float* x, const float* dy, std::size_t batch, const float* w, float* dx, float* dw,
                            float* db, float* scratch) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    constexpr std::size_t P = G.positions(), K = G.taps_per_group(), O = G.outs_per_group();
    constexpr std::size_t in_size = G.in_channels * G.height * G.width, out_size = G.out_channels * P;
    constexpr std::size_t wsize = G.out_channels * K;
    float* const tmp = scratch + detail::ConvScratch<G>::weight_grad;
    float* const zeros = scratch + detail::ConvScratch<G>::zeros;
    float* const dy_t = scratch + detail::ConvScratch<G>::transposed;
    // The weight gradient, by shape: the direct path's own kernel; with whole vectors of output
    // channels, dW^T (K x O per group) accumulated over the batch as an axpy product along the
    // output channels and transposed back once at the end; otherwise each sample's dW in the
    // dot-product form along the positions, added to dw.
    constexpr bool direct = detail::DirectConv<G, Arch>::applies;
    constexpr bool channels_in_vectors = !direct && O % L == 0;
    if constexpr (channels_in_vectors) std::fill_n(tmp, wsize, 0.0f);
    if constexpr (!direct && !channels_in_vectors) std::fill_n(zeros, K, 0.0f);
    for (std::size_t n = 0; n < batch; ++n) {
        const float* xn = x + n * in_size;
        const float* dyn = dy + n * out_size;
        if (db)
            for (std::size_t o = 0; o < G.out_channels; ++o) db[o] += detail::sum<P, Arch>(dyn + o * P);
        if constexpr (direct) {
            detail::for_blocks<G.out_channels, detail::DirectConv<G, Arch>::grad_block>([&]<std::size_t B>(std::size_t o0) {
                detail::direct_weight_grad<G, B, Arch>(xn, dyn, o0, dw);
            });
        } else {
            const float* col = xn;
            if constexpr (!G.is_pointwise()) {
                detail::im2col<G, Arch>(xn, scratch);
                col = scratch;
            }
            if constexpr (channels_in_vectors) {
                for (std::size_t g = 0; g < G.groups; ++g) {
                    const float* block = dyn + g * O * P;
                    for (std::size_t o = 0; o < O; ++o)
                        for (std::size_t p = 0; p < P; ++p) dy_t[p * O + o] = block[o * P + p];
                    detail::axpy_product<O, true, Arch>(K, P, col + g * K * P, P, 1, dy_t, tmp + g * O * K);
                }
            } else {
                for (std::size_t g = 0; g < G.groups; ++g)
                    linear_forward<P, K, identity_op, Arch>(dyn + g * O * P, O, col + g * K * P, zeros, tmp + g * O * K);
                constexpr std::size_t vec_end = wsize / L * L;
                for (std::size_t i = 0; i < vec_end; i += L)
                    (V::load_unaligned(dw + i) + V::load_unaligned(tmp + i)).store_unaligned(dw + i);
                for (std::size_t i = vec_end; i < wsize; ++i) dw[i] += tmp[i];
            }
        }
        if (dx) detail::input_gradient<G, Arch>(dyn, w, dx + n * in_size, scratch);
    }
    if constexpr (channels_in_vectors)
        for (std::size_t g = 0; g < G.groups; ++g)
            for (std::size_t o = 0; o < O; ++o)
                for (std::size_t k = 0; k < K; ++k) dw[(g * O + o) * K + k] += tmp[g * O * K + k * O + o];
}

}  // namespace ctnn::kernels
