#pragma once
// 2-D max and average pooling as nn.MaxPool2d and nn.AvgPool2d compute them (floor mode;
// padding is -inf for max and zeros counted in the average, count_include_pad=True), one
// channel plane at a time, samples C x H x W row-major. Max pooling's backward finds each
// window's maximum again from the input and the output (the first position holding it, as
// PyTorch's index does), so training stores no indices. Forward reduces each output row's input
// rows in whole vectors along the width first, then the windows' columns from that one row:
// the SIMD pass does all but 1/kernel_h of the work, whatever the stride.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include "arch.hpp"

namespace ctnn::kernels {

struct PoolGeometry {
    std::size_t channels = 0, height = 0, width = 0;
    std::size_t kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0, pad_h = 0, pad_w = 0;

    constexpr std::size_t out_height() const noexcept {
        return height + 2 * pad_h < kernel_h ? 0 : (height + 2 * pad_h - kernel_h) / stride_h + 1;
    }
    constexpr std::size_t out_width() const noexcept {
        return width + 2 * pad_w < kernel_w ? 0 : (width + 2 * pad_w - kernel_w) / stride_w + 1;
    }
    constexpr std::size_t in_size() const noexcept { return channels * height * width; }
    constexpr std::size_t out_size() const noexcept { return channels * out_height() * out_width(); }
};

namespace detail {
/// The input rows [h0, h1) and columns [w0, w1) of output (oh, ow)'s window, clipped to the input.
template <PoolGeometry G>
struct Window {
    std::size_t h0, h1, w0, w1;
    static constexpr Window of(std::size_t oh, std::size_t ow) noexcept {
        const std::ptrdiff_t top = std::ptrdiff_t(oh * G.stride_h) - std::ptrdiff_t(G.pad_h);
        const std::ptrdiff_t left = std::ptrdiff_t(ow * G.stride_w) - std::ptrdiff_t(G.pad_w);
        auto clip = [](std::ptrdiff_t v, std::size_t n) { return std::size_t(v < 0 ? 0 : v > std::ptrdiff_t(n) ? n : v); };
        return {clip(top, G.height), clip(top + std::ptrdiff_t(G.kernel_h), G.height), clip(left, G.width),
                clip(left + std::ptrdiff_t(G.kernel_w), G.width)};
    }
};

/// One output row in two passes: the window's input rows reduced into one row (whole vectors
/// along the width), then each window's columns reduced from it. Reduce is max or +; `init` is
/// its identity.
template <PoolGeometry G, class Arch, class Reduce>
inline void pool_row(const float* in, std::size_t oh, float init, Reduce reduce, float* out) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>, W = G.width, vec_end = W / L * L, OW = G.out_width();
    const auto rows = Window<G>::of(oh, 0);
    alignas(64) float line[W];
    for (std::size_t i = 0; i < vec_end; i += L) {
        V acc(init);
        for (std::size_t h = rows.h0; h < rows.h1; ++h) acc = reduce(acc, V::load_unaligned(in + h * W + i));
        acc.store_aligned(line + i);
    }
    for (std::size_t i = vec_end; i < W; ++i) {
        float acc = init;
        for (std::size_t h = rows.h0; h < rows.h1; ++h) acc = reduce(acc, in[h * W + i]);
        line[i] = acc;
    }
    // Columns whose windows lie inside the row have compile-time bounds; the others are clipped.
    constexpr std::size_t lo = (G.pad_w + G.stride_w - 1) / G.stride_w;
    constexpr std::size_t hi = [] {
        std::size_t h = OW;
        while (h > lo && (h - 1) * G.stride_w + G.kernel_w > G.width + G.pad_w) --h;
        return h;
    }();
    auto clipped = [&](std::size_t ow) {
        const auto w = Window<G>::of(oh, ow);
        float acc = init;
        for (std::size_t c = w.w0; c < w.w1; ++c) acc = reduce(acc, line[c]);
        out[ow] = acc;
    };
    for (std::size_t ow = 0; ow < lo; ++ow) clipped(ow);
    for (std::size_t ow = lo; ow < hi; ++ow) {
        const float* window = line + ow * G.stride_w - G.pad_w;
        float acc = window[0];
        for (std::size_t c = 1; c < G.kernel_w; ++c) acc = reduce(acc, window[c]);
        out[ow] = acc;
    }
    for (std::size_t ow = hi; ow < OW; ++ow) clipped(ow);
}

template <PoolGeometry G>
inline constexpr bool two_by_two = G.kernel_h == 2 && G.kernel_w == 2 && G.stride_h == 2 && G.stride_w == 2 &&
                                   G.pad_h == 0 && G.pad_w == 0;

/// The lane holding the other value of the same 2-wide window.
struct PartnerLane {
    static constexpr std::uint32_t get(std::size_t i, std::size_t) { return std::uint32_t(i ^ 1u); }
};
/// The first (even) lane of each 2-wide window.
struct WindowLeftLanes {
    static constexpr bool get(std::size_t i, std::size_t) { return i % 2 == 0; }
};
/// The first (even) lane of each 2-wide window, in order, in the vector's first half.
struct WindowFirsts {
    static constexpr std::uint32_t get(std::size_t i, std::size_t n) { return std::uint32_t(2 * i % n); }
};

/// One output row of 2 x 2 windows of stride 2 from input rows r0, r1: the rows' maximum in
/// vectors, each window's from its two lanes (the lane pair swapped), then the windows' lanes
/// gathered into the first half and stored. Outputs [ow, OW) from ow on in vectors of A, then of
/// the narrower sets; returns the first output left to the caller. AMD EPYC Zen 3 (AVX2),
/// LeNet's poolings at batch 100: 71 -> 25-28 us and 25 -> 10-11 us; one sample 671 -> 241-327 ns.
template <PoolGeometry G, class A>
inline std::size_t max_pool_2x2_row(const float* r0, const float* r1, float* out, std::size_t ow) noexcept {
    using V = fvec<A>;
    using U = xsimd::batch<std::uint32_t, A>;
    constexpr std::size_t L = lanes<A>, OW = G.out_width();
    constexpr auto partner = xsimd::make_batch_constant<U, PartnerLane>();
    constexpr auto firsts = xsimd::make_batch_constant<U, WindowFirsts>();
    for (; ow + L / 2 <= OW; ow += L / 2) {
        const V m = xsimd::max(V::load_unaligned(r0 + 2 * ow), V::load_unaligned(r1 + 2 * ow));
        // max(b, a) returns a where either is NaN: a NaN first in the window stays, as in pool_row.
        const V windows = xsimd::swizzle(xsimd::max(xsimd::swizzle(m, partner), m), firsts);
        if (ow + L <= OW) {
            windows.store_unaligned(out + ow);  // the second half is overwritten next (or is past OW)
        } else {
            alignas(64) float half[L];
            windows.store_aligned(half);
            for (std::size_t i = 0; i < L / 2; ++i) out[ow + i] = half[i];
        }
    }
    if constexpr (!std::is_void_v<narrower_arch<A>>) return max_pool_2x2_row<G, narrower_arch<A>>(r0, r1, out, ow);
    return ow;
}
}  // namespace detail

/// y = max over each window.
template <PoolGeometry G, class Arch = default_arch>
inline void max_pool2d_forward(const float* x, std::size_t batch, float* y) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width(), W = G.width;
    const auto max = [](const auto& a, const auto& b) {
        if constexpr (std::is_same_v<std::decay_t<decltype(a)>, float>) return a < b ? b : a;  // one maxss
        else return xsimd::max(a, b);
    };
    for (std::size_t plane = 0; plane < batch * G.channels; ++plane)
        for (std::size_t oh = 0; oh < OH; ++oh) {
            const float* in = x + plane * G.height * W;
            float* out = y + (plane * OH + oh) * OW;
            if constexpr (detail::two_by_two<G>) {
                const float *r0 = in + 2 * oh * W, *r1 = r0 + W;
                for (std::size_t ow = detail::max_pool_2x2_row<G, Arch>(r0, r1, out, 0); ow < OW; ++ow)
                    out[ow] = max(max(r0[2 * ow], r0[2 * ow + 1]), max(r1[2 * ow], r1[2 * ow + 1]));
            } else {
                detail::pool_row<G, Arch>(in, oh, -std::numeric_limits<float>::infinity(), max, out);
            }
        }
}

namespace detail {
/// 2 x 2 windows of stride 2 without padding (LeNet's, PyTorch's MaxPool2d(2)), in vectors: the
/// lanes of a row pair hold whole windows, each lane finds its window's first maximum as the
/// scalar loop does (in the order top-left, top-right, bottom-left, bottom-right, a later value
/// only when strictly greater) and keeps dy where that is its own position. Columns [j, 2 OW) from
/// j on in vectors of A, then of the narrower sets; returns the first column left to the caller.
/// AMD EPYC Zen 3 (AVX2), LeNet's two poolings at batch 100: 217 -> 93 us and 66 -> 23 us.
template <PoolGeometry G, class A>
inline std::size_t max_pool_2x2_backward(const float* r0, const float* r1, const float* g_pairs, float* d0, float* d1,
                                         std::size_t j) noexcept {
    using V = fvec<A>;
    using U = xsimd::batch<std::uint32_t, A>;
    constexpr std::size_t L = lanes<A>;
    constexpr auto partner = xsimd::make_batch_constant<U, PartnerLane>();
    constexpr auto left_lanes = xsimd::make_batch_bool_constant<V, WindowLeftLanes>();  // even lanes: a blend's immediate
    const xsimd::batch_bool<float, A> left = left_lanes;
    for (; j + L <= 2 * G.out_width(); j += L) {
        const V a = V::load_unaligned(r0 + j), b = V::load_unaligned(r1 + j);
        const V as = xsimd::swizzle(a, partner), bs = xsimd::swizzle(b, partner);
        const V top_left = xsimd::select(left_lanes, a, as), top_right = xsimd::select(left_lanes, as, a);
        const V bottom_left = xsimd::select(left_lanes, b, bs), bottom_right = xsimd::select(left_lanes, bs, b);
        const auto c1 = top_right > top_left;
        const V m1 = xsimd::select(c1, top_right, top_left);
        const auto c2 = bottom_left > m1;
        const auto c3 = bottom_right > xsimd::select(c2, bottom_left, m1);
        // A left lane keeps dy when its window's pick is on the left, a right lane when on the right.
        const auto bottom = c2 || c3;
        const V g = V::load_aligned(g_pairs + j), zero(0.0f);
        xsimd::select(bottom, zero, xsimd::select(left ^ c1, g, zero)).store_unaligned(d0 + j);
        xsimd::select(bottom, xsimd::select(left ^ c3, g, zero), zero).store_unaligned(d1 + j);
    }
    if constexpr (!std::is_void_v<narrower_arch<A>>)
        return max_pool_2x2_backward<G, narrower_arch<A>>(r0, r1, g_pairs, d0, d1, j);
    return j;
}
}  // namespace detail

/// dx = dy routed to the first maximum of each window (overwrites dx), found again from x with
/// selects, not branches (on real data a branch per comparison mispredicts half the time).
template <PoolGeometry G, class Arch = default_arch>
inline void max_pool2d_backward(const float* x, const float*, const float* dy, std::size_t batch, float* dx) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width(), W = G.width;
    for (std::size_t plane = 0; plane < batch * G.channels; ++plane) {
        const float* in = x + plane * G.height * W;
        float* din = dx + plane * G.height * W;
        const float* g = dy + plane * OH * OW;
        if constexpr (detail::two_by_two<G>) {
            // Every position of a window is written (no fill first); only a last odd row or
            // column, which no window reads, is zeroed.
            for (std::size_t oh = 0; oh < OH; ++oh) {
                alignas(64) float pairs[2 * OW + 1];  // each window's dy for both of its columns
                for (std::size_t ow = 0; ow < OW; ++ow) pairs[2 * ow] = pairs[2 * ow + 1] = g[oh * OW + ow];
                const float *r0 = in + 2 * oh * W, *r1 = r0 + W;
                float *d0 = din + 2 * oh * W, *d1 = d0 + W;
                for (std::size_t j = detail::max_pool_2x2_backward<G, Arch>(r0, r1, pairs, d0, d1, 0); j < 2 * OW; j += 2) {
                    const float v[4] = {r0[j], r0[j + 1], r1[j], r1[j + 1]};
                    std::size_t best = 0;
                    for (std::size_t i = 1; i < 4; ++i) best = v[i] > v[best] ? i : best;
                    d0[j] = d0[j + 1] = d1[j] = d1[j + 1] = 0.0f;
                    (best < 2 ? d0 : d1)[j + best % 2] = pairs[j];
                }
                if constexpr (W % 2 != 0) d0[W - 1] = d1[W - 1] = 0.0f;
            }
            if constexpr (G.height % 2 != 0) std::fill_n(din + (G.height - 1) * W, W, 0.0f);
            continue;
        }
        std::fill_n(din, G.height * W, 0.0f);
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                const auto w = detail::Window<G>::of(oh, ow);
                std::size_t best = w.h0 * W + w.w0;
                float top = in[best];
                auto visit = [&](std::size_t i) {  // strictly greater: the first maximum stays
                    // Arithmetic on the comparison, which g++ would otherwise turn into a branch.
                    const std::size_t greater = in[i] > top;
                    best += greater * (i - best);
                    top = top < in[i] ? in[i] : top;
                };
                if (w.h1 - w.h0 == G.kernel_h && w.w1 - w.w0 == G.kernel_w) {  // compile-time bounds
                    for (std::size_t h = 0; h < G.kernel_h; ++h)
                        for (std::size_t c = 0; c < G.kernel_w; ++c) visit((w.h0 + h) * W + w.w0 + c);
                } else {
                    for (std::size_t h = w.h0; h < w.h1; ++h)
                        for (std::size_t c = w.w0; c < w.w1; ++c) visit(h * W + c);
                }
                din[best] += g[oh * OW + ow];
            }
    }
}

/// y = the mean of each window, padding counted as zeros.
template <PoolGeometry G, class Arch = default_arch>
inline void avg_pool2d_forward(const float* x, std::size_t batch, float* y) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width();
    constexpr float scale = 1.0f / float(G.kernel_h * G.kernel_w);
    const auto add = [](const auto& a, const auto& b) { return a + b; };
    for (std::size_t plane = 0; plane < batch * G.channels; ++plane)
        for (std::size_t oh = 0; oh < OH; ++oh) {
            float* out = y + (plane * OH + oh) * OW;
            detail::pool_row<G, Arch>(x + plane * G.height * G.width, oh, 0.0f, add, out);
            for (std::size_t ow = 0; ow < OW; ++ow) out[ow] *= scale;
        }
}

/// dx = each output's gradient spread evenly over its window (overwrites dx).
template <PoolGeometry G>
inline void avg_pool2d_backward(const float* dy, std::size_t batch, float* dx) noexcept {
    constexpr std::size_t OH = G.out_height(), OW = G.out_width();
    constexpr float scale = 1.0f / float(G.kernel_h * G.kernel_w);
    for (std::size_t plane = 0; plane < batch * G.channels; ++plane) {
        float* din = dx + plane * G.height * G.width;
        const float* g = dy + plane * OH * OW;
        for (std::size_t i = 0; i < G.height * G.width; ++i) din[i] = 0.0f;
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                const auto w = detail::Window<G>::of(oh, ow);
                const float v = g[oh * OW + ow] * scale;
                for (std::size_t h = w.h0; h < w.h1; ++h)
                    for (std::size_t c = w.w0; c < w.w1; ++c) din[h * G.width + c] += v;
            }
    }
}

}  // namespace ctnn::kernels
