#pragma once
// Batch normalisation over data laid out [batch][channels][inner] (inner = H x W for images, the
// length for sequences, 1 for feature vectors). Both modes reduce to a per-channel affine map
// y = x * scale[c] + shift[c]; training computes the batch's statistics first, and backward
// needs two per-channel sums before it can write dx.
//
// Where inner > 1 the kernels go channel by channel: a channel of a batch of 100 LeNet images
// (100 x 576 floats, 230 KB) stays in L2 between the passes over it (the mean, the squared
// deviations, the output), so memory sees one read of x and one write of y, and backward one
// read of x and dy and one write of dx. Each (sample, channel) row is reduced in SIMD lanes and
// its sum added in double, so a channel of a million values keeps about seven digits; the
// variance takes two passes (the mean, then squared deviations), as PyTorch does, not
// E[x^2] - E[x]^2. Where inner is 1 the loops run over channels innermost, which compilers
// vectorise as they are (every channel is its own sum).
#include <cmath>
#include <cstddef>
#include "arch.hpp"

namespace ctnn::kernels {

namespace detail {
/// Sum of p[0, n) - center, and of its squares (square = true) or of its products with a[0, n).
/// Four accumulators: one would wait on the add's latency at every vector.
template <class Arch, bool Square>
inline double centered_row(const float* p, const float* a, float center, std::size_t n) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const V c(center);
    auto term = [&](std::size_t i, V acc) {
        const V d = V::load_unaligned(p + i) - c;
        if constexpr (Square) return xsimd::fma(d, d, acc);
        else return a ? xsimd::fma(V::load_unaligned(a + i), d, acc) : acc + d;
    };
    V acc0(0.0f), acc1(0.0f), acc2(0.0f), acc3(0.0f);
    // Bounds computed once: loops on i + L <= n, inlined with a known n, had g++ warn of their
    // overflow (-Waggressive-loop-optimizations).
    const std::size_t wide_end = n / (4 * L) * (4 * L), vec_end = n / L * L;
    std::size_t i = 0;
    for (; i < wide_end; i += 4 * L) {
        acc0 = term(i, acc0);
        acc1 = term(i + L, acc1);
        acc2 = term(i + 2 * L, acc2);
        acc3 = term(i + 3 * L, acc3);
    }
    for (; i < vec_end; i += L) acc0 = term(i, acc0);
    double s = double(xsimd::hadd((acc0 + acc1) + (acc2 + acc3)));
    for (; i < n; ++i) {
        const float d = p[i] - center;
        s += Square ? double(d * d) : double(a ? a[i] * d : d);
    }
    return s;
}
}  // namespace detail

/// Training forward: the batch's per-channel mean and biased variance (written to mean, var),
/// invstd = 1 / sqrt(var + eps), and y = (x - mean) * invstd * weight + bias.
template <std::size_t inner, class Arch = default_arch>
void batch_norm_train_forward(const float* x, std::size_t batch, std::size_t channels, const float* weight,
                              const float* bias, float eps, float* mean, float* var, float* invstd,
                              float* y) noexcept {
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
        for (std::size_t c = 0; c < channels; ++c) {
            var[c] = float(double(var[c]) / count);
            invstd[c] = 1.0f / std::sqrt(var[c] + eps);
        }
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c)
                y[r * channels + c] = (x[r * channels + c] - mean[c]) * (invstd[c] * weight[c]) + bias[c];
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
            invstd[c] = 1.0f / std::sqrt(var[c] + eps);
            const float scale = invstd[c] * weight[c], shift = bias[c] - m * scale;
            for (std::size_t r = 0; r < batch; ++r) {
                const float* xr = x + (r * channels + c) * inner;
                float* yr = y + (r * channels + c) * inner;
                for (std::size_t i = 0; i < inner; ++i) yr[i] = xr[i] * scale + shift;
            }
        }
    }
}

/// y = x * scale[c] + shift[c] for every value of channel c: inference.
template <std::size_t inner>
void channel_affine(const float* x, std::size_t batch, std::size_t channels, const float* scale, const float* shift,
                    float* y) noexcept {
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t c = 0; c < channels; ++c) {
            if constexpr (inner == 1) {
                y[r * channels + c] = x[r * channels + c] * scale[c] + shift[c];
            } else {
                const float* xr = x + (r * channels + c) * inner;
                float* yr = y + (r * channels + c) * inner;
                const float s = scale[c], t = shift[c];
                for (std::size_t i = 0; i < inner; ++i) yr[i] = xr[i] * s + t;
            }
        }
}

/// Backward of the training forward, with the batch's mean and invstd: dweight += sum(dy xhat),
/// dbias += sum(dy), and (if dx) dx = weight invstd (dy - mean(dy) - xhat mean(dy xhat)), where
/// xhat = (x - mean) invstd. `sums` holds 3 x channels floats of working memory.
template <std::size_t inner, class Arch = default_arch>
void batch_norm_backward(const float* x, const float* dy, std::size_t batch, std::size_t channels, const float* mean,
                         const float* invstd, const float* weight, float* dweight, float* dbias, float* dx,
                         float* sums) noexcept {
    const float n = float(batch * inner);
    // dx = dy a + (x - mean) b + k, per channel.
    auto coefficients = [&](std::size_t c, float sum_dy, float sum_dyc, float& a, float& b, float& k) {
        dweight[c] += sum_dyc * invstd[c];
        dbias[c] += sum_dy;
        const float ac = weight[c] * invstd[c];
        b = -ac * invstd[c] * invstd[c] * sum_dyc / n;
        k = -ac * sum_dy / n;
        a = ac;
    };
    if constexpr (inner == 1) {
        float *sum_dy = sums, *sum_dyc = sums + channels;
        for (std::size_t c = 0; c < channels; ++c) sum_dy[c] = 0.0f, sum_dyc[c] = 0.0f;
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) {
                const float g = dy[r * channels + c];
                sum_dy[c] += g;
                sum_dyc[c] += g * (x[r * channels + c] - mean[c]);
            }
        float* k = sums + 2 * channels;  // the sums become the coefficients a, b, k in place
        for (std::size_t c = 0; c < channels; ++c) coefficients(c, sum_dy[c], sum_dyc[c], sum_dy[c], sum_dyc[c], k[c]);
        if (!dx) return;
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t c = 0; c < channels; ++c) {
                const std::size_t at = r * channels + c;
                dx[at] = dy[at] * sum_dy[c] + (x[at] - mean[c]) * sum_dyc[c] + k[c];
            }
    } else {
        for (std::size_t c = 0; c < channels; ++c) {
            double s = 0, q = 0;
            for (std::size_t r = 0; r < batch; ++r) {
                const std::size_t at = (r * channels + c) * inner;
                s += detail::centered_row<Arch, false>(dy + at, nullptr, 0.0f, inner);
                q += detail::centered_row<Arch, false>(x + at, dy + at, mean[c], inner);
            }
            float a, b, k;
            coefficients(c, float(s), float(q), a, b, k);
            if (!dx) continue;
            const float m = mean[c];
            for (std::size_t r = 0; r < batch; ++r) {
                const std::size_t at = (r * channels + c) * inner;
                for (std::size_t i = 0; i < inner; ++i) dx[at + i] = dy[at + i] * a + (x[at + i] - m) * b + k;
            }
        }
    }
}

}  // namespace ctnn::kernels
