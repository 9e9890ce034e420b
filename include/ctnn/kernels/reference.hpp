#pragma once
// Plain scalar loops that define what each kernel computes. The tests hold every SIMD kernel
// against these, for sizes that are and are not multiples of the vector width.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>
#include "conv2d.hpp"
#include "optimizer.hpp"
#include "pool2d.hpp"
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

// Convolution straight from its definition: output (o, oh, ow) sums weight (o, c', kh, kw) times
// input (g * C/G + c', oh * stride - pad + kh * dilation, ...) over the taps inside the input.
// `visit(x index, y index, weight index)` is called for every product.
template <class Visit>
void conv2d_taps(const ConvGeometry& g, Visit visit) {
    const std::size_t OH = g.out_height(), OW = g.out_width(), cin = g.in_channels / g.groups;
    const std::size_t cout = g.out_channels / g.groups;
    for (std::size_t o = 0; o < g.out_channels; ++o)
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow)
                for (std::size_t c = 0; c < cin; ++c)
                    for (std::size_t kh = 0; kh < g.kernel_h; ++kh)
                        for (std::size_t kw = 0; kw < g.kernel_w; ++kw) {
                            const std::ptrdiff_t ih = std::ptrdiff_t(oh * g.stride_h + kh * g.dilation_h) -
                                                      std::ptrdiff_t(g.pad_top);
                            const std::ptrdiff_t iw = std::ptrdiff_t(ow * g.stride_w + kw * g.dilation_w) -
                                                      std::ptrdiff_t(g.pad_left);
                            if (ih < 0 || iw < 0 || ih >= std::ptrdiff_t(g.height) || iw >= std::ptrdiff_t(g.width))
                                continue;
                            const std::size_t channel = o / cout * cin + c;
                            visit((channel * g.height + std::size_t(ih)) * g.width + std::size_t(iw),
                                  (o * OH + oh) * OW + ow, ((o * cin + c) * g.kernel_h + kh) * g.kernel_w + kw);
                        }
}

template <class Epilogue>
void conv2d_forward(const ConvGeometry& g, const float* x, std::size_t batch, const float* w, const float* bias,
                    float* y) {
    const std::size_t in = g.in_channels * g.height * g.width, out = g.out_channels * g.positions();
    for (std::size_t n = 0; n < batch; ++n) {
        std::vector<double> acc(out);
        for (std::size_t i = 0; i < out; ++i) acc[i] = bias ? bias[i / g.positions()] : 0.0;
        conv2d_taps(g, [&](std::size_t xi, std::size_t yi, std::size_t wi) { acc[yi] += double(x[n * in + xi]) * w[wi]; });
        for (std::size_t i = 0; i < out; ++i) y[n * out + i] = Epilogue::apply(float(acc[i]));
    }
}

/// dw += ..., db += ... (db may be null), dx = ... (overwritten; may be null); sums in double.
inline void conv2d_backward(const ConvGeometry& g, const float* x, const float* dy, std::size_t batch, const float* w,
                            float* dx, float* dw, float* db) {
    const std::size_t in = g.in_channels * g.height * g.width, out = g.out_channels * g.positions();
    const std::size_t weights = g.out_channels * g.taps_per_group();
    std::vector<double> dw_sum(dw, dw + weights), db_sum(g.out_channels), dx_sum(in);
    for (std::size_t n = 0; n < batch; ++n) {
        std::fill(dx_sum.begin(), dx_sum.end(), 0.0);
        for (std::size_t i = 0; i < out; ++i) db_sum[i / g.positions()] += dy[n * out + i];
        conv2d_taps(g, [&](std::size_t xi, std::size_t yi, std::size_t wi) {
            dw_sum[wi] += double(dy[n * out + yi]) * x[n * in + xi];
            dx_sum[xi] += double(dy[n * out + yi]) * w[wi];
        });
        if (dx)
            for (std::size_t i = 0; i < in; ++i) dx[n * in + i] = float(dx_sum[i]);
    }
    for (std::size_t i = 0; i < weights; ++i) dw[i] = float(dw_sum[i]);
    if (db)
        for (std::size_t o = 0; o < g.out_channels; ++o) db[o] += float(db_sum[o]);
}

/// Every window of a pooling: visit(output index, [input indices inside the input]).
template <class Visit>
void pool2d_windows(const PoolGeometry& g, Visit visit) {
    const std::size_t OH = g.out_height(), OW = g.out_width();
    std::vector<std::size_t> inside;
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                inside.clear();
                for (std::size_t kh = 0; kh < g.kernel_h; ++kh)
                    for (std::size_t kw = 0; kw < g.kernel_w; ++kw) {
                        const std::ptrdiff_t ih = std::ptrdiff_t(oh * g.stride_h + kh) - std::ptrdiff_t(g.pad_h);
                        const std::ptrdiff_t iw = std::ptrdiff_t(ow * g.stride_w + kw) - std::ptrdiff_t(g.pad_w);
                        if (ih >= 0 && iw >= 0 && ih < std::ptrdiff_t(g.height) && iw < std::ptrdiff_t(g.width))
                            inside.push_back((c * g.height + std::size_t(ih)) * g.width + std::size_t(iw));
                    }
                visit((c * OH + oh) * OW + ow, inside);
            }
}

/// Max pooling; the gradient goes to the first maximum of each window.
inline void max_pool2d(const PoolGeometry& g, const float* x, const float* dy, std::size_t batch, float* y,
                       float* dx) {
    for (std::size_t n = 0; n < batch; ++n) {
        const float* xn = x + n * g.in_size();
        for (std::size_t i = 0; i < g.in_size(); ++i) dx[n * g.in_size() + i] = 0.0f;
        pool2d_windows(g, [&](std::size_t o, const std::vector<std::size_t>& inside) {
            std::size_t best = inside[0];
            for (std::size_t i : inside)
                if (xn[i] > xn[best]) best = i;
            y[n * g.out_size() + o] = xn[best];
            dx[n * g.in_size() + best] += dy[n * g.out_size() + o];
        });
    }
}

/// Average pooling, padding counted as zeros (the divisor is always the window's size).
inline void avg_pool2d(const PoolGeometry& g, const float* x, const float* dy, std::size_t batch, float* y,
                       float* dx) {
    const double area = double(g.kernel_h * g.kernel_w);
    for (std::size_t n = 0; n < batch; ++n) {
        for (std::size_t i = 0; i < g.in_size(); ++i) dx[n * g.in_size() + i] = 0.0f;
        pool2d_windows(g, [&](std::size_t o, const std::vector<std::size_t>& inside) {
            double s = 0;
            for (std::size_t i : inside) s += x[n * g.in_size() + i];
            y[n * g.out_size() + o] = float(s / area);
            for (std::size_t i : inside) dx[n * g.in_size() + i] += float(dy[n * g.out_size() + o] / area);
        });
    }
}

}  // namespace ctnn::kernels::reference
