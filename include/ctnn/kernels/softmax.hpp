#pragma once
// Softmax over each row (one sample's outputs) and its backward pass. The row's maximum is
// subtracted first, so no exp overflows; backward needs only the softmax's output:
// dx = y * (dy - sum(dy * y)).
#include <cmath>
#include <cstddef>
#include "arch.hpp"

namespace ctnn::kernels {

template <class Arch = default_arch>
inline void softmax_rows(const float* x, std::size_t rows, std::size_t cols, float* y) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const std::size_t vec_end = cols / L * L;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* in = x + r * cols;
        float* out = y + r * cols;
        float m = in[0];
        if (vec_end) {
            V mv = V::load_unaligned(in);
            for (std::size_t c = L; c < vec_end; c += L) mv = xsimd::max(mv, V::load_unaligned(in + c));
            alignas(64) float lanes_of[L];
            mv.store_aligned(lanes_of);
            for (const float v : lanes_of) m = v > m ? v : m;
        }
        for (std::size_t c = vec_end; c < cols; ++c) m = in[c] > m ? in[c] : m;
        V sum(0.0f);
        for (std::size_t c = 0; c < vec_end; c += L) {
            const V e = xsimd::exp(V::load_unaligned(in + c) - V(m));
            e.store_unaligned(out + c);
            sum += e;
        }
        float total = xsimd::hadd(sum);
        for (std::size_t c = vec_end; c < cols; ++c) total += out[c] = std::exp(in[c] - m);
        const float inv = 1.0f / total;
        for (std::size_t c = 0; c < vec_end; c += L) (V::load_unaligned(out + c) * V(inv)).store_unaligned(out + c);
        for (std::size_t c = vec_end; c < cols; ++c) out[c] *= inv;
    }
}

/// dx = y * (dy - sum(dy * y)) per row; dx may alias dy.
template <class Arch = default_arch>
inline void softmax_backward_rows(const float* y, const float* dy, std::size_t rows, std::size_t cols,
                                  float* dx) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const std::size_t vec_end = cols / L * L;
    for (std::size_t r = 0; r < rows; ++r) {
        const float *yr = y + r * cols, *g = dy + r * cols;
        float* out = dx + r * cols;
        V dot_v(0.0f);
        for (std::size_t c = 0; c < vec_end; c += L) dot_v = xsimd::fma(V::load_unaligned(g + c), V::load_unaligned(yr + c), dot_v);
        float dot = xsimd::hadd(dot_v);
        for (std::size_t c = vec_end; c < cols; ++c) dot += g[c] * yr[c];
        for (std::size_t c = 0; c < vec_end; c += L)
            (V::load_unaligned(yr + c) * (V::load_unaligned(g + c) - V(dot))).store_unaligned(out + c);
        for (std::size_t c = vec_end; c < cols; ++c) out[c] = yr[c] * (g[c] - dot);
    }
}

}  // namespace ctnn::kernels
