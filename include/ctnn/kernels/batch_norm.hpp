#pragma once
// Batch normalisation over data laid out [batch][channels][inner] (inner = H x W for images, the
// length for sequences, 1 for feature vectors): per-channel moments, the per-channel affine map
// y = x * scale[c] + shift[c] that both normalisation modes reduce to, and the backward pass.
//
// Where inner is 1 the loops run over channels innermost, which compilers vectorise as they are
// (every channel is its own sum); otherwise each (sample, channel) row is reduced in SIMD lanes,
// its sum added in double, so a channel of a million values keeps about seven digits. Moments
// take two passes (the mean, then squared deviations), as PyTorch does, not E[x^2] - E[x]^2.
#include <cstddef>
#include "arch.hpp"

namespace ctnn::kernels {

namespace detail {
/// Sum of p[0, n) - center, and of its squares (square = true) or of its products with a[0, n).
template <class Arch, bool Square>
inline double centered_row(const float* p, const float* a, float center, std::size_t n) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    V acc(0.0f);
    const V c(center);
    std::size_t i = 0;
    for (; i + L <= n; i += L) {
        const V d = V::load_unaligned(p + i) - c;
        if constexpr (Square) acc = xsimd::fma(d, d, acc);
        else acc = a ? xsimd::fma(V::load_unaligned(a + i), d, acc) : acc + d;
    }
    double s = double(xsimd::hadd(acc));
    for (; i < n; ++i) {
        const float d = p[i] - center;
        s += Square ? double(d * d) : double(a ? a[i] * d : d);
    }
    return s;
}
}  // namespace detail

/// Per-channel mean and (biased) variance of x over the batch and `inner`.
template <std::size_t inner, class Arch = default_arch>
void channel_moments(const float* x, std::size_t batch, std::size_t channels, float* mean, float* var) noexcept {
    const double count = double(batch * inner);
    if constexpr (inner == 1) {
        for (std::size_t c = 0; c < channels; ++c) mean[c] = 0.0f, var[c] = 0.0f;
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) mean[c] += x[r * channels + c];
        for (std::size_t c = 0; c < channels; ++c) mean[c] = float(double(mean[c]) / count);
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) {
                const float d = x[r * channels + c] - mean[c];
                var[c] += d * d;
            }
        for (std::size_t c = 0; c < channels; ++c) var[c] = float(double(var[c]) / count);
    } else {
        for (std::size_t c = 0; c < channels; ++c) {
            double s = 0;
            for (std::size_t r = 0; r < batch; ++r)
                s += detail::centered_row<Arch, false>(x + (r * channels + c) * inner, nullptr, 0.0f, inner);
            const float m = float(s / count);
            double q = 0;
            for (std::size_t r = 0; r < batch; ++r)
                q += detail::centered_row<Arch, true>(x + (r * channels + c) * inner, nullptr, m, inner);
            mean[c] = m;
            var[c] = float(q / count);
        }
    }
}

/// y = x * scale[c] + shift[c] for every value of channel c (y may be x).
template <std::size_t inner>
void channel_affine(const float* x, std::size_t batch, std::size_t channels, const float* scale, const float* shift,
                    float* y) noexcept {
    if constexpr (inner == 1) {
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) y[r * channels + c] = x[r * channels + c] * scale[c] + shift[c];
        return;
    }
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t c = 0; c < channels; ++c) {
            const float* xr = x + (r * channels + c) * inner;
            float* yr = y + (r * channels + c) * inner;
            const float s = scale[c], t = shift[c];
            for (std::size_t i = 0; i < inner; ++i) yr[i] = xr[i] * s + t;
        }
}

/// Per channel, sum(dy) and sum(dy * (x - mean[c])).
template <std::size_t inner, class Arch = default_arch>
void channel_gradient_sums(const float* x, const float* dy, std::size_t batch, std::size_t channels, const float* mean,
                           float* sum_dy, float* sum_dy_centered) noexcept {
    if constexpr (inner == 1) {
        for (std::size_t c = 0; c < channels; ++c) sum_dy[c] = 0.0f, sum_dy_centered[c] = 0.0f;
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) {
                const float g = dy[r * channels + c];
                sum_dy[c] += g;
                sum_dy_centered[c] += g * (x[r * channels + c] - mean[c]);
            }
    } else {
        for (std::size_t c = 0; c < channels; ++c) {
            double s = 0, q = 0;
            for (std::size_t r = 0; r < batch; ++r) {
                const std::size_t at = (r * channels + c) * inner;
                s += detail::centered_row<Arch, false>(dy + at, nullptr, 0.0f, inner);
                q += detail::centered_row<Arch, false>(x + at, dy + at, mean[c], inner);
            }
            sum_dy[c] = float(s);
            sum_dy_centered[c] = float(q);
        }
    }
}

/// dx = dy * a[c] + (x - mean[c]) * b[c] + k[c]: the input gradient of a training-mode batch
/// norm, whose per-channel coefficients the layer computes from the sums above.
template <std::size_t inner>
void channel_gradient(const float* x, const float* dy, std::size_t batch, std::size_t channels, const float* mean,
                      const float* a, const float* b, const float* k, float* dx) noexcept {
    if constexpr (inner == 1) {
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) {
                const std::size_t at = r * channels + c;
                dx[at] = dy[at] * a[c] + (x[at] - mean[c]) * b[c] + k[c];
            }
        return;
    }
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t c = 0; c < channels; ++c) {
            const std::size_t at = (r * channels + c) * inner;
            const float ac = a[c], bc = b[c], kc = k[c], m = mean[c];
            for (std::size_t i = 0; i < inner; ++i) dx[at + i] = dy[at + i] * ac + (x[at + i] - m) * bc + kc;
        }
}

}  // namespace ctnn::kernels
