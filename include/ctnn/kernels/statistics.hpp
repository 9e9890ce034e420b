#pragma once
// Reductions that watch training: sums over a weight tensor and its gradient, a finiteness test,
// and how many of an activation's outputs sit where its slope is (nearly) zero. Each makes one
// pass over memory the training step has just written, so it costs a fraction of the step.
// Float lanes accumulate blocks of `block` elements and each block's sum is added in double:
// a million-element tensor keeps about seven significant digits.
#include <algorithm>
#include <cstddef>
#include "arch.hpp"

namespace ctnn::kernels {

/// Sums over one weight tensor w (n floats) and its gradient g.
struct WeightSums {
    double grad_abs = 0;     // sum |g|
    double grad_square = 0;  // sum g^2
    double weight_square = 0;  // sum w^2
    double update_square = 0;  // sum (w - previous)^2, if a previous copy was given
};

namespace detail {
inline constexpr std::size_t block = 2048;
}

/// An activation's largest slope: Op::max_slope, or 1.
template <class Op>
inline constexpr float max_slope = [] {
    if constexpr (requires { Op::max_slope; }) return float(Op::max_slope);
    else return 1.0f;
}();

/// The slope at or below which an output of Op counts as inactive: Op::inactive_slope if it
/// declares one (LeakyReLU: its negative side), else `saturation` times its largest slope.
template <class Op>
constexpr float inactive_threshold(float saturation) noexcept {
    if constexpr (requires { Op::inactive_slope; }) return float(Op::inactive_slope);
    else return saturation * max_slope<Op>;
}

/// WeightSums of (g, w); with `previous` (the weights before the last update) also the update's
/// sum of squares, and then previous = w, ready for the next update.
template <class Arch = default_arch>
WeightSums weight_sums(const float* g, const float* w, float* previous, std::size_t n) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    WeightSums s;
    for (std::size_t start = 0; start < n; start += detail::block) {
        const std::size_t end = std::min(n, start + detail::block), vec_end = start + (end - start) / L * L;
        V abs_g(0.0f), g2(0.0f), w2(0.0f), d2(0.0f);
        float tail_abs = 0, tail_g2 = 0, tail_w2 = 0, tail_d2 = 0;
        for (std::size_t i = start; i < vec_end; i += L) {
            const V gv = V::load_unaligned(g + i), wv = V::load_unaligned(w + i);
            abs_g += xsimd::abs(gv);
            g2 = xsimd::fma(gv, gv, g2);
            w2 = xsimd::fma(wv, wv, w2);
            if (previous) {
                const V d = wv - V::load_unaligned(previous + i);
                d2 = xsimd::fma(d, d, d2);
                wv.store_unaligned(previous + i);
            }
        }
        for (std::size_t i = vec_end; i < end; ++i) {
            tail_abs += g[i] < 0 ? -g[i] : g[i];
            tail_g2 += g[i] * g[i];
            tail_w2 += w[i] * w[i];
            if (previous) {
                const float d = w[i] - previous[i];
                tail_d2 += d * d;
                previous[i] = w[i];
            }
        }
        s.grad_abs += double(xsimd::hadd(abs_g)) + tail_abs;
        s.grad_square += double(xsimd::hadd(g2)) + tail_g2;
        s.weight_square += double(xsimd::hadd(w2)) + tail_w2;
        s.update_square += double(xsimd::hadd(d2)) + tail_d2;
    }
    return s;
}

/// True if no value is NaN or infinite: x - x is 0 for every finite x and NaN otherwise, so one
/// subtraction and one addition per vector decide it. Four sums, so the additions' latency does
/// not bound the pass (one sum: 31 us for a training step's 1 MB of gradients on a Zen 3, four:
/// 14 us).
template <class Arch = default_arch>
bool all_finite(const float* x, std::size_t n) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    V acc[4] = {V(0.0f), V(0.0f), V(0.0f), V(0.0f)};
    std::size_t i = 0;
    for (; i + 4 * L <= n; i += 4 * L)
        for (std::size_t k = 0; k < 4; ++k) {
            const V v = V::load_unaligned(x + i + k * L);
            acc[k] += v - v;
        }
    for (; i + L <= n; i += L) {
        const V v = V::load_unaligned(x + i);
        acc[0] += v - v;
    }
    float tail = 0;
    for (; i < n; ++i) tail += x[i] - x[i];
    return xsimd::hadd((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail == 0.0f;
}

/// Over `rows` rows of `units` outputs y of an activation Op: returns how many have a slope
/// Op::derivative_from_output(y) at most `threshold` (inactive), and sets active[u] = 1 for each
/// unit u that has an output above it (active is left as it was elsewhere, so a caller can
/// gather "ever active" over many batches).
template <class Op, class Arch = default_arch>
std::size_t count_inactive(const float* y, std::size_t rows, std::size_t units, float threshold, float* active) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const std::size_t vec_end = units / L * L;
    std::size_t inactive = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* row = y + r * units;
        V count(0.0f);
        for (std::size_t u = 0; u < vec_end; u += L) {
            const auto on = Op::derivative_from_output(V::load_unaligned(row + u)) > V(threshold);
            count += xsimd::select(on, V(0.0f), V(1.0f));
            xsimd::select(on, V(1.0f), V::load_unaligned(active + u)).store_unaligned(active + u);
        }
        inactive += std::size_t(xsimd::hadd(count));  // at most `units`: exact in float
        for (std::size_t u = vec_end; u < units; ++u) {
            if (Op::derivative_from_output(row[u]) > threshold) active[u] = 1.0f;
            else ++inactive;
        }
    }
    return inactive;
}

}  // namespace ctnn::kernels
