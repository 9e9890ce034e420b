#pragma once
// Plain scalar loops that define what each kernel computes. The tests hold every SIMD kernel
// against these, for sizes that are and are not multiples of the vector width.
#include <cmath>
#include <cstddef>
#include "optimizer.hpp"
#include "statistics.hpp"

namespace ctnn::kernels::reference {

template <class Epilogue>
void linear_forward(std::size_t in, std::size_t out, const float* x, std::size_t batch, const float* w,
                    const float* bias, float* y) {
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t o = 0; o < out; ++o) {
            double s = bias[o];
            for (std::size_t i = 0; i < in; ++i) s += double(x[r * in + i]) * w[o * in + i];
            y[r * out + o] = Epilogue::apply(float(s));
        }
}

inline void linear_input_grad(std::size_t in, std::size_t out, const float* dy, std::size_t batch, const float* w,
                              float* dx) {
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t i = 0; i < in; ++i) {
            double s = 0;
            for (std::size_t o = 0; o < out; ++o) s += double(dy[r * out + o]) * w[o * in + i];
            dx[r * in + i] = float(s);
        }
}

inline void linear_param_grad(std::size_t in, std::size_t out, const float* x, const float* dy, std::size_t batch,
                              float* dw, float* db) {
    for (std::size_t o = 0; o < out; ++o) {
        double sb = 0;
        for (std::size_t r = 0; r < batch; ++r) sb += dy[r * out + o];
        db[o] += float(sb);
        for (std::size_t i = 0; i < in; ++i) {
            double s = 0;
            for (std::size_t r = 0; r < batch; ++r) s += double(dy[r * out + o]) * x[r * in + i];
            dw[o * in + i] += float(s);
        }
    }
}

template <class Op>
void activation_forward(const float* x, std::size_t n, float* y) {
    for (std::size_t i = 0; i < n; ++i) y[i] = Op::apply(x[i]);
}

template <class Op>
void activation_backward(const float* y, const float* dy, std::size_t n, float* dx) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * Op::derivative_from_output(y[i]);
}

inline void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& s) {
    for (std::size_t i = 0; i < n; ++i) {
        float gi = g[i];
        if (s.decoupled_weight_decay)
            p[i] *= 1.0f - s.lr * s.weight_decay;
        else
            gi += s.weight_decay * p[i];
        m[i] = s.beta1 * m[i] + (1.0f - s.beta1) * gi;
        v[i] = s.beta2 * v[i] + (1.0f - s.beta2) * gi * gi;
        const float denom = std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps;
        p[i] -= s.lr / s.bias_correction1 * m[i] / denom;
    }
}

inline void sgd_update(float* p, const float* g, float* buf, std::size_t n, const SgdStep& s) {
    for (std::size_t i = 0; i < n; ++i) {
        float d = g[i] + s.weight_decay * p[i];
        if (s.momentum != 0.0f) {
            buf[i] = s.momentum * buf[i] + d;
            d = s.nesterov ? d + s.momentum * buf[i] : buf[i];
        }
        p[i] -= s.lr * d;
    }
}

template <class Op>
void activation_backward_from_input(const float* x, const float* dy, std::size_t n, float* dx) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * Op::derivative(x[i]);
}

/// Each row of `cols`: exp(x - max) / sum, in double.
inline void softmax_rows(const float* x, std::size_t rows, std::size_t cols, float* y) {
    for (std::size_t r = 0; r < rows; ++r) {
        const float* in = x + r * cols;
        double m = in[0], sum = 0;
        for (std::size_t c = 1; c < cols; ++c) m = in[c] > m ? in[c] : m;
        for (std::size_t c = 0; c < cols; ++c) sum += std::exp(double(in[c]) - m);
        for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = float(std::exp(double(in[c]) - m) / sum);
    }
}

/// dx = y * (dy - sum(dy * y)) per row.
inline void softmax_backward_rows(const float* y, const float* dy, std::size_t rows, std::size_t cols, float* dx) {
    for (std::size_t r = 0; r < rows; ++r) {
        double dot = 0;
        for (std::size_t c = 0; c < cols; ++c) dot += double(dy[r * cols + c]) * y[r * cols + c];
        for (std::size_t c = 0; c < cols; ++c)
            dx[r * cols + c] = float(double(y[r * cols + c]) * (double(dy[r * cols + c]) - dot));
    }
}

/// Sums in double, element by element.
inline WeightSums weight_sums(const float* g, const float* w, float* previous, std::size_t n) {
    WeightSums s;
    for (std::size_t i = 0; i < n; ++i) {
        s.grad_abs += std::fabs(double(g[i]));
        s.grad_square += double(g[i]) * g[i];
        s.weight_square += double(w[i]) * w[i];
        if (previous) {
            const double d = double(w[i]) - previous[i];
            s.update_square += d * d;
            previous[i] = w[i];
        }
    }
    return s;
}

inline bool all_finite(const float* x, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i])) return false;
    return true;
}

template <class Op>
std::size_t count_inactive(const float* y, std::size_t rows, std::size_t units, float threshold, float* active) {
    std::size_t inactive = 0;
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t u = 0; u < units; ++u) {
            if (Op::derivative_from_output(y[r * units + u]) > threshold) active[u] = 1.0f;
            else ++inactive;
        }
    return inactive;
}

}  // namespace ctnn::kernels::reference
