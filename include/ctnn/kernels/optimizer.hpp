#pragma once
// Optimizer updates as one vectorised pass over a whole parameter block. The arithmetic follows
// PyTorch's single-tensor implementations (torch/optim/adam.py, adamw.py, sgd.py) operation for
// operation, so results agree to float rounding.
#include <cmath>
#include <cstddef>
#include "arch.hpp"

namespace ctnn::kernels {

struct AdamStep {
    float lr, beta1, beta2, eps, weight_decay;
    float bias_correction1;       // 1 - beta1^t
    float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
    /// false: Adam's L2 decay, g += weight_decay * p. true: AdamW's decoupled decay,
    /// p *= 1 - lr * weight_decay before the update, the gradient left alone.
    bool decoupled_weight_decay = false;
};

template <class Arch = default_arch>
inline void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& s) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const float step_size = s.lr / s.bias_correction1;
    const V b1(s.beta1), b2(s.beta2), one_b1(1.0f - s.beta1), one_b2(1.0f - s.beta2), wd(s.weight_decay),
        eps(s.eps), bc2(s.bias_correction2_sqrt), neg_step(-step_size);
    const bool l2 = s.weight_decay != 0.0f && !s.decoupled_weight_decay;
    const bool decoupled = s.weight_decay != 0.0f && s.decoupled_weight_decay;
    const float shrink = 1.0f - s.lr * s.weight_decay;
    const V shrink_v(shrink);
    const std::size_t vec_end = n / L * L;
    for (std::size_t i = 0; i < vec_end; i += L) {
        V pv = V::load_unaligned(p + i);
        V gv = V::load_unaligned(g + i);
        if (l2) gv = xsimd::fma(wd, pv, gv);
        if (decoupled) pv = pv * shrink_v;
        const V mv = xsimd::fma(V::load_unaligned(m + i), b1, gv * one_b1);
        const V vv = xsimd::fma(V::load_unaligned(v + i), b2, gv * gv * one_b2);
        mv.store_unaligned(m + i);
        vv.store_unaligned(v + i);
        const V denom = xsimd::sqrt(vv) / bc2 + eps;
        xsimd::fma(neg_step, mv / denom, pv).store_unaligned(p + i);
    }
    for (std::size_t i = vec_end; i < n; ++i) {
        float gi = g[i];
        if (l2) gi += s.weight_decay * p[i];
        if (decoupled) p[i] *= shrink;
        m[i] = m[i] * s.beta1 + gi * (1.0f - s.beta1);
        v[i] = v[i] * s.beta2 + gi * gi * (1.0f - s.beta2);
        p[i] += -step_size * (m[i] / (std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps));
    }
}

struct SgdStep {
    float lr, momentum, weight_decay;
    bool nesterov;
};

/// With momentum, `buf` starts at zero: PyTorch's first-step `buf = grad` is the same value.
template <class Arch = default_arch>
inline void sgd_update(float* p, const float* g, float* buf, std::size_t n, const SgdStep& s) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const V wd(s.weight_decay), mom(s.momentum), neg_lr(-s.lr);
    const std::size_t vec_end = n / L * L;
    for (std::size_t i = 0; i < vec_end; i += L) {
        const V pv = V::load_unaligned(p + i);
        V d = V::load_unaligned(g + i);
        if (s.weight_decay != 0.0f) d = xsimd::fma(wd, pv, d);
        if (s.momentum != 0.0f) {
            const V b = xsimd::fma(mom, V::load_unaligned(buf + i), d);
            b.store_unaligned(buf + i);
            d = s.nesterov ? xsimd::fma(mom, b, d) : b;
        }
        xsimd::fma(neg_lr, d, pv).store_unaligned(p + i);
    }
    for (std::size_t i = vec_end; i < n; ++i) {
        float d = g[i];
        if (s.weight_decay != 0.0f) d += s.weight_decay * p[i];
        if (s.momentum != 0.0f) {
            buf[i] = s.momentum * buf[i] + d;
            d = s.nesterov ? d + s.momentum * buf[i] : buf[i];
        }
        p[i] += -s.lr * d;
    }
}

}  // namespace ctnn::kernels
