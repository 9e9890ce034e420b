#pragma once
// Element-wise activation functions, each as a scalar and a SIMD formula, and each derivative
// written in terms of the activation's *output* y: backward then needs no pre-activation buffer,
// so a Linear followed by an activation stores one buffer, not two.
//
// For training diagnostics (kernels/statistics.hpp) an op may also declare `max_slope` (its
// largest derivative, 1 if absent) and `inactive_slope` (the slope at or below which an output
// counts as inactive; absent: a fraction of max_slope the caller chooses).
#include <cmath>
#include "arch.hpp"

namespace ctnn::kernels {

/// No activation: the epilogue of a Linear that is not followed by one.
struct identity_op {
    static constexpr float apply(float x) noexcept { return x; }
    template <class B> static B apply(const B& x) noexcept { return x; }
    static constexpr float derivative_from_output(float) noexcept { return 1.0f; }
    template <class B> static B derivative_from_output(const B&) noexcept { return B(1.0f); }
};

struct relu_op {
    static constexpr float apply(float x) noexcept { return x > 0.0f ? x : 0.0f; }
    template <class B> static B apply(const B& x) noexcept { return xsimd::max(x, B(0.0f)); }
    static constexpr float derivative_from_output(float y) noexcept { return y > 0.0f ? 1.0f : 0.0f; }
    template <class B> static B derivative_from_output(const B& y) noexcept {
        return xsimd::select(y > B(0.0f), B(1.0f), B(0.0f));
    }
};

/// The slope must be positive so that the sign of the output tells the side of the input.
template <int Numerator, int Denominator>
struct leaky_relu_op {
    static_assert(Numerator > 0 && Denominator > 0, "ctnn::LeakyReLUSlope: the slope must be positive");
    static constexpr float Slope = float(Numerator) / float(Denominator);
    static constexpr float inactive_slope = Slope;  // inactive: on the negative side
    static constexpr float apply(float x) noexcept { return x > 0.0f ? x : Slope * x; }
    template <class B> static B apply(const B& x) noexcept { return xsimd::select(x > B(0.0f), x, x * B(Slope)); }
    static constexpr float derivative_from_output(float y) noexcept { return y > 0.0f ? 1.0f : Slope; }
    template <class B> static B derivative_from_output(const B& y) noexcept {
        return xsimd::select(y > B(0.0f), B(1.0f), B(Slope));
    }
};

/// alpha (e^x - 1) for x <= 0: its slope there is y + alpha, a function of the output y.
template <int Numerator, int Denominator>
struct elu_op {
    static_assert(Numerator > 0 && Denominator > 0, "ctnn::ELUAlpha: alpha must be positive");
    static constexpr float Alpha = float(Numerator) / float(Denominator);
    static float apply(float x) noexcept { return x > 0.0f ? x : Alpha * std::expm1(x); }
    template <class B> static B apply(const B& x) noexcept {
        return xsimd::select(x > B(0.0f), x, B(Alpha) * xsimd::expm1(x));
    }
    static constexpr float derivative_from_output(float y) noexcept { return y > 0.0f ? 1.0f : y + Alpha; }
    template <class B> static B derivative_from_output(const B& y) noexcept {
        return xsimd::select(y > B(0.0f), B(1.0f), y + B(Alpha));
    }
};

struct sigmoid_op {
    static constexpr float max_slope = 0.25f;  // at x = 0
    // 1 / (1 + e^-x) overflows gracefully: e^-x -> inf gives 0, e^-x -> 0 gives 1.
    static float apply(float x) noexcept { return 1.0f / (1.0f + std::exp(-x)); }
    template <class B> static B apply(const B& x) noexcept { return B(1.0f) / (B(1.0f) + xsimd::exp(-x)); }
    static constexpr float derivative_from_output(float y) noexcept { return y * (1.0f - y); }
    template <class B> static B derivative_from_output(const B& y) noexcept { return y * (B(1.0f) - y); }
};

struct tanh_op {
    static float apply(float x) noexcept { return std::tanh(x); }
    template <class B> static B apply(const B& x) noexcept { return xsimd::tanh(x); }
    static constexpr float derivative_from_output(float y) noexcept { return 1.0f - y * y; }
    template <class B> static B derivative_from_output(const B& y) noexcept { return B(1.0f) - y * y; }
};

/// Activations whose derivative needs the input, not the output: `derivative(x)`. They cannot
/// run fused into the layer before (backward needs the layer's input, so it is kept).

/// x * Phi(x), Phi the standard normal CDF, as torch.nn.GELU() (the exact form, with erf).
struct gelu_op {
    static constexpr float inv_sqrt2 = 0.70710678118654752f, inv_sqrt_2pi = 0.39894228040143268f;
    static float apply(float x) noexcept { return 0.5f * x * (1.0f + std::erf(x * inv_sqrt2)); }
    template <class B> static B apply(const B& x) noexcept {
        return B(0.5f) * x * (B(1.0f) + xsimd::erf(x * B(inv_sqrt2)));
    }
    /// Phi(x) + x phi(x).
    static float derivative(float x) noexcept {
        return 0.5f * (1.0f + std::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * std::exp(-0.5f * x * x);
    }
    template <class B> static B derivative(const B& x) noexcept {
        return B(0.5f) * (B(1.0f) + xsimd::erf(x * B(inv_sqrt2))) + x * B(inv_sqrt_2pi) * xsimd::exp(B(-0.5f) * x * x);
    }
};

}  // namespace ctnn::kernels
