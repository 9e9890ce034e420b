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
    /// Floats of working memory: the im2col matrix, the weight gradient of one sample, and a row
    /// of zeros (the bias-free products).
    constexpr std::size_t scratch_floats() const noexcept {
        const std::size_t col = is_pointwise() ? 0 : taps() * positions();
        return round16(col) + round16(out_channels * taps_per_group()) + round16(taps_per_group());
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
};

/// col[k, p] for one sample; rows k = (c, kh, kw), columns p = (oh, ow).
template <ConvGeometry G>
inline void im2col(const float* x, float* col) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width(), P = OH * OW;
    for (std::size_t c = 0; c < G.in_channels; ++c)
        for (std::size_t kh = 0; kh < G.kernel_h; ++kh)
            for (std::size_t kw = 0; kw < G.kernel_w; ++kw) {
                float* row = col + ((c * G.kernel_h + kh) * G.kernel_w + kw) * P;
                // Output columns [lo, hi) read inside the input; the rest read padding.
                const std::ptrdiff_t shift = std::ptrdiff_t(kw * G.dilation_w) - std::ptrdiff_t(G.pad_left);
                std::size_t lo = 0, hi = OW;
                while (lo < OW && std::ptrdiff_t(lo * G.stride_w) + shift < 0) ++lo;
                while (hi > lo && std::ptrdiff_t((hi - 1) * G.stride_w) + shift >= std::ptrdiff_t(G.width)) --hi;
                for (std::size_t oh = 0; oh < OH; ++oh) {
                    float* out = row + oh * OW;
                    const std::ptrdiff_t ih = std::ptrdiff_t(oh * G.stride_h + kh * G.dilation_h) -
                                              std::ptrdiff_t(G.pad_top);
                    if (ih < 0 || ih >= std::ptrdiff_t(G.height)) {
                        std::fill_n(out, OW, 0.0f);
                        continue;
                    }
                    const float* in = x + (c * G.height + std::size_t(ih)) * G.width;
                    std::fill_n(out, lo, 0.0f);
                    if constexpr (G.stride_w == 1) {
                        if (hi > lo) std::memcpy(out + lo, in + std::ptrdiff_t(lo) + shift, (hi - lo) * sizeof(float));
                    } else {
                        for (std::size_t ow = lo; ow < hi; ++ow) out[ow] = in[std::ptrdiff_t(ow * G.stride_w) + shift];
                    }
                    std::fill_n(out + hi, OW - hi, 0.0f);
                }
            }
}

/// dx += col2im(dcol): each tap's gradient back to the input value it read.
template <ConvGeometry G>
inline void col2im_add(const float* dcol, float* dx) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width(), P = OH * OW;
    for (std::size_t c = 0; c < G.in_channels; ++c)
        for (std::size_t kh = 0; kh < G.kernel_h; ++kh)
            for (std::size_t kw = 0; kw < G.kernel_w; ++kw) {
                const float* row = dcol + ((c * G.kernel_h + kh) * G.kernel_w + kw) * P;
                const std::ptrdiff_t shift = std::ptrdiff_t(kw * G.dilation_w) - std::ptrdiff_t(G.pad_left);
                std::size_t lo = 0, hi = OW;
                while (lo < OW && std::ptrdiff_t(lo * G.stride_w) + shift < 0) ++lo;
                while (hi > lo && std::ptrdiff_t((hi - 1) * G.stride_w) + shift >= std::ptrdiff_t(G.width)) --hi;
                for (std::size_t oh = 0; oh < OH; ++oh) {
                    const std::ptrdiff_t ih = std::ptrdiff_t(oh * G.stride_h + kh * G.dilation_h) -
                                              std::ptrdiff_t(G.pad_top);
                    if (ih < 0 || ih >= std::ptrdiff_t(G.height)) continue;
                    float* in = dx + (c * G.height + std::size_t(ih)) * G.width;
                    const float* g = row + oh * OW;
                    for (std::size_t ow = lo; ow < hi; ++ow) in[std::ptrdiff_t(ow * G.stride_w) + shift] += g[ow];
                }
            }
}
}  // namespace detail

/// Y = epilogue(conv(X) + b) for `batch` samples; bias may be null (no bias). `scratch` holds
/// G.scratch_floats() floats.
template <ConvGeometry G, class Epilogue = identity_op, class Arch = default_arch>
inline void conv2d_forward(const float* x, std::size_t batch, const float* w, const float* bias, float* y,
                           float* scratch) noexcept {
    constexpr std::size_t P = G.positions(), K = G.taps_per_group(), O = G.outs_per_group();
    constexpr std::size_t in_size = G.in_channels * G.height * G.width, out_size = G.out_channels * P;
    for (std::size_t n = 0; n < batch; ++n) {
        const float* xn = x + n * in_size;
        float* yn = y + n * out_size;
        const float* col = xn;
        if constexpr (!G.is_pointwise()) {
            detail::im2col<G>(xn, scratch);
            col = scratch;
        }
        for (std::size_t o = 0; o < G.out_channels; ++o) std::fill_n(yn + o * P, P, bias ? bias[o] : 0.0f);
        for (std::size_t g = 0; g < G.groups; ++g)
            detail::axpy_product<P, true, Arch>(O, K, w + g * O * K, K, 1, col + g * K * P, yn + g * O * P);
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
    std::fill_n(zeros, K, 0.0f);
    for (std::size_t n = 0; n < batch; ++n) {
        const float* xn = x + n * in_size;
        const float* dyn = dy + n * out_size;
        if (db)
            for (std::size_t o = 0; o < G.out_channels; ++o) {
                float s = 0;
                for (std::size_t p = 0; p < P; ++p) s += dyn[o * P + p];
                db[o] += s;
            }
        const float* col = xn;
        if constexpr (!G.is_pointwise()) {
            detail::im2col<G>(xn, scratch);
            col = scratch;
        }
        // dW[o, k] = dY[o, :] . col[k, :]: the forward product's dot-product form along P.
        for (std::size_t g = 0; g < G.groups; ++g)
            linear_forward<P, K, identity_op, Arch>(dyn + g * O * P, O, col + g * K * P, zeros, tmp + g * O * K);
        constexpr std::size_t vec_end = wsize / L * L;
        for (std::size_t i = 0; i < vec_end; i += L)
            (V::load_unaligned(dw + i) + V::load_unaligned(tmp + i)).store_unaligned(dw + i);
        for (std::size_t i = vec_end; i < wsize; ++i) dw[i] += tmp[i];
        if (!dx) continue;
        float* dxn = dx + n * in_size;
        // dcol[k, :] = sum_o W[o, k] dY[o, :]: W read transposed through the strides.
        float* dcol = G.is_pointwise() ? dxn : scratch;
        for (std::size_t g = 0; g < G.groups; ++g)
            detail::axpy_product<P, false, Arch>(K, O, w + g * O * K, 1, K, dyn + g * O * P, dcol + g * K * P);
        if constexpr (!G.is_pointwise()) {
            std::fill_n(dxn, in_size, 0.0f);
            detail::col2im_add<G>(dcol, dxn);
        }
    }
}

}  // namespace ctnn::kernels
