#pragma once
// A plain, double-precision evaluation of a Seq's layer list, straight from the definitions of
// Linear, the activations and the tests' user layer: the tests' independent statement of what a network computes.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>
#include <ctnn/ctnn.hpp>
#include "user_layer/user_layer.hpp"

namespace test {

template <class Op>
double activation(double x) {
    namespace k = ctnn::kernels;
    if constexpr (std::is_same_v<Op, k::relu_op>) return x > 0 ? x : 0;
    else if constexpr (std::is_same_v<Op, k::sigmoid_op>) return 1.0 / (1.0 + std::exp(-x));
    else if constexpr (std::is_same_v<Op, k::tanh_op>) return std::tanh(x);
    else if constexpr (requires { Op::Alpha; }) return x > 0 ? x : double(Op::Alpha) * std::expm1(x);  // elu_op
    else return x > 0 ? x : double(Op::Slope) * x;  // leaky_relu_op
}

template <class Layer>
inline constexpr bool is_user_scale = false;
template <std::size_t N>
inline constexpr bool is_user_scale<user::Scale<N>> = true;

template <class Layer>
inline constexpr bool is_prelu = false;
template <std::size_t N>
inline constexpr bool is_prelu<ctnn::PReLU<N>> = true;

template <class Layer>
inline constexpr bool is_linear = requires { Layer::in_features; };
template <class Layer>
inline constexpr bool is_conv = requires { Layer::in_channels; };
template <class Layer>
inline constexpr bool is_conv_transpose = requires { Layer::output_padding; };
template <class Layer>
inline constexpr bool is_pool =
    requires { Layer::geometry(ctnn::Shape{}).kernel_h; } && !is_conv<Layer> && !is_conv_transpose<Layer>;

/// nn.ConvTranspose1d from its definition: input step i through tap k lands on output step
/// i S - P + k D, weight [In, Out / G, K].
template <class L>
void conv_transpose_double(const double* w, const double* x, const ctnn::Shape& in, const ctnn::Shape& out, double* y) {
    const std::size_t cin = in.dims[0], t = in.dims[1], cout = out.dims[0], tout = out.dims[1];
    const std::size_t gi = cin / L::groups, go = cout / L::groups, k = L::tensors[0].dims[2];
    for (std::size_t o = 0; o < cout; ++o)
        for (std::size_t j = 0; j < tout; ++j) y[o * tout + j] = L::has_bias ? w[L::bias_offset + o] : 0.0;
    for (std::size_t c = 0; c < cin; ++c) {
        const std::size_t g = c / gi;
        for (std::size_t ol = 0; ol < go; ++ol)
            for (std::size_t i = 0; i < t; ++i)
                for (std::size_t tap = 0; tap < k; ++tap) {
                    const std::ptrdiff_t j = std::ptrdiff_t(i * L::stride + tap * L::dilation) - std::ptrdiff_t(L::padding);
                    if (j < 0 || std::size_t(j) >= tout) continue;
                    y[(g * go + ol) * tout + std::size_t(j)] += x[c * t + i] * w[(c * go + ol) * k + tap];
                }
    }
}

/// Convolution and pooling from their definitions (PyTorch's docs), per sample, in double.
template <class L>
void spatial_double(const double* w, const double* x, const ctnn::Shape& in, const ctnn::Shape& out, double* y) {
    const auto g = L::geometry(in);  // the strides and paddings the options asked for
    // An image C x H x W, or a sequence C x T as one row (Conv1D).
    const bool sequence = in.rank == 2;
    const std::size_t H = sequence ? 1 : in.dims[1], W = sequence ? in.dims[1] : in.dims[2];
    const std::size_t OH = sequence ? 1 : out.dims[1], OW = sequence ? out.dims[1] : out.dims[2];
    for (std::size_t o = 0; o < out.dims[0]; ++o)
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                double acc = 0;
                std::size_t count = 0;
                if constexpr (is_conv<L>) {
                    const std::size_t cin = L::in_channels / L::groups, group = o / (L::out_channels / L::groups);
                    acc = L::has_bias ? w[L::bias_offset + o] : 0.0;
                    for (std::size_t c = 0; c < cin; ++c)
                        for (std::size_t kh = 0; kh < g.kernel_h; ++kh)
                            for (std::size_t kw = 0; kw < g.kernel_w; ++kw) {
                                const long ih = long(oh * g.stride_h + kh * g.dilation_h) - long(g.pad_top);
                                const long iw = long(ow * g.stride_w + kw * g.dilation_w) - long(g.pad_left);
                                if (ih < 0 || iw < 0 || ih >= long(H) || iw >= long(W)) continue;
                                acc += w[((o * cin + c) * g.kernel_h + kh) * g.kernel_w + kw] *
                                       x[((group * cin + c) * H + std::size_t(ih)) * W + std::size_t(iw)];
                            }
                } else {
                    const bool max = L::cpp_name().find("MaxPool") != std::string::npos;
                    acc = max ? -INFINITY : 0.0;
                    for (std::size_t kh = 0; kh < g.kernel_h; ++kh)
                        for (std::size_t kw = 0; kw < g.kernel_w; ++kw) {
                            const long ih = long(oh * g.stride_h + kh) - long(g.pad_h);
                            const long iw = long(ow * g.stride_w + kw) - long(g.pad_w);
                            ++count;
                            if (ih < 0 || iw < 0 || ih >= long(H) || iw >= long(W)) continue;
                            const double v = x[(o * H + std::size_t(ih)) * W + std::size_t(iw)];
                            acc = max ? std::max(acc, v) : acc + v;
                        }
                    if (!max) acc /= double(count);
                }
                y[(o * OH + oh) * OW + ow] = acc;
            }
}

/// Forward in double with parameters from `params` (a block in Net's layout, as doubles).
template <class Layer>
inline constexpr bool is_batch_norm = requires { Layer::eps; Layer::momentum; };
template <class Layer>
inline constexpr bool is_dropout = requires { Layer::threshold; Layer::scale; };

/// Whether Dropout L keeps unit u (a value, or a channel for Dropout2d) of batch row `row` under
/// `step`: the draw defined in layers/dropout.hpp.
template <class L>
bool dropout_keeps(const ctnn::TrainingStep& step, std::size_t row, std::size_t u) {
    using ctnn::detail::hash32;
    const std::uint64_t key = ctnn::detail::row_key(step, row);
    return hash32(hash32(std::uint32_t(u) ^ std::uint32_t(key)) + std::uint32_t(key >> 32)) >= L::threshold;
}

/// The network's outputs in double; `training`: BatchNorm with the batch's statistics and
/// Dropout with the masks of `step` (else the running statistics and the identity).
template <class Net>
std::vector<double> reference_forward_double(const std::vector<double>& params, const std::vector<double>& x,
                                             std::size_t batch, bool training = false,
                                             ctnn::TrainingStep step = {}) {
    std::vector<double> cur = x;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using L = typename Net::template layer_type<I>;
                constexpr auto e = Net::table[I];
                const std::size_t n_in = e.in.size(), n_out = e.out.size();
                std::vector<double> next(batch * n_out);
                if constexpr (requires { L::identity_shortcut; }) {  // a Residual: its paths, added
                    const std::vector<double> p(params.begin() + std::ptrdiff_t(e.param_offset), params.end());
                    auto main = reference_forward_double<typename L::template MainPath<e.in>>(p, cur, batch, training,
                                                                                              step.at_layer(I));
                    std::vector<double> skip = cur;
                    if constexpr (!L::identity_shortcut) {
                        const std::vector<double> q(p.begin() + std::ptrdiff_t(L::main_floats), p.end());
                        skip = reference_forward_double<typename L::template ShortcutPath<e.in>>(
                            q, cur, batch, training, step.at_layer(I).at_layer(L::main_depth));
                    }
                    // Sequences: the shortcut's last steps (the main path may be shorter in time).
                    const std::size_t ks = skip.size() / batch, channels = e.out.dims[0];
                    const std::size_t t = n_out / channels, kt = ks / channels;
                    for (std::size_t r = 0; r < batch; ++r)
                        for (std::size_t c = 0; c < channels; ++c)
                            for (std::size_t i = 0; i < t; ++i)
                                next[r * n_out + c * t + i] = main[r * n_out + c * t + i] + skip[r * ks + c * kt + kt - t + i];
                    cur = std::move(next);
                    return;
                }
                if constexpr (is_conv_transpose<L>) {
                    for (std::size_t r = 0; r < batch; ++r)
                        conv_transpose_double<L>(params.data() + e.param_offset, cur.data() + r * n_in, e.in, e.out,
                                                 next.data() + r * n_out);
                    cur = std::move(next);
                    return;
                }
                if constexpr (is_conv<L> || is_pool<L>) {
                    for (std::size_t r = 0; r < batch; ++r)
                        spatial_double<L>(params.data() + e.param_offset, cur.data() + r * n_in, e.in, e.out,
                                          next.data() + r * n_out);
                    cur = std::move(next);
                    return;
                }
                if constexpr (std::is_same_v<L, ctnn::GlobalAvgPool2D>) {
                    const std::size_t plane = e.in.dims[1] * e.in.dims[2];
                    for (std::size_t c = 0; c < batch * e.in.dims[0]; ++c) {
                        double s = 0;
                        for (std::size_t i = 0; i < plane; ++i) s += cur[c * plane + i];
                        next[c] = s / double(plane);
                    }
                    cur = std::move(next);
                    return;
                }
                if constexpr (std::is_same_v<L, ctnn::Flatten>) return;
                if constexpr (is_batch_norm<L>) {
                    const std::size_t channels = e.in.dims[0], inner = n_in / channels;
                    const double* w = params.data() + e.param_offset;
                    for (std::size_t c = 0; c < channels; ++c) {
                        double mean = w[L::tensors[2].offset + c], var = w[L::tensors[3].offset + c];
                        if (training) {
                            mean = var = 0;
                            for (std::size_t r = 0; r < batch; ++r)
                                for (std::size_t i = 0; i < inner; ++i) mean += cur[(r * channels + c) * inner + i];
                            mean /= double(batch * inner);
                            for (std::size_t r = 0; r < batch; ++r)
                                for (std::size_t i = 0; i < inner; ++i) {
                                    const double d = cur[(r * channels + c) * inner + i] - mean;
                                    var += d * d;
                                }
                            var /= double(batch * inner);
                        }
                        const double scale = w[L::tensors[0].offset + c] / std::sqrt(var + double(L::eps));
                        for (std::size_t r = 0; r < batch; ++r)
                            for (std::size_t i = 0; i < inner; ++i) {
                                const std::size_t at = (r * channels + c) * inner + i;
                                next[at] = (cur[at] - mean) * scale + w[L::tensors[1].offset + c];
                            }
                    }
                    cur = std::move(next);
                    return;
                }
                if constexpr (is_dropout<L>) {
                    if (!training) return;
                    const bool channels = L::cpp_name().find("Dropout2d") != std::string::npos;
                    const std::size_t inner = channels ? n_in / e.in.dims[0] : 1;
                    for (std::size_t r = 0; r < batch; ++r)
                        for (std::size_t i = 0; i < n_in; ++i)
                            cur[r * n_in + i] *= dropout_keeps<L>(step.at_layer(I), r, i / inner) ? double(L::scale) : 0.0;
                    return;
                }
                if constexpr (std::is_same_v<L, ctnn::Softmax>) {
                    for (std::size_t r = 0; r < batch; ++r) {
                        double m = cur[r * n_in], sum = 0;
                        for (std::size_t i = 1; i < n_in; ++i) m = std::max(m, cur[r * n_in + i]);
                        for (std::size_t i = 0; i < n_in; ++i) sum += std::exp(cur[r * n_in + i] - m);
                        for (std::size_t i = 0; i < n_in; ++i) next[r * n_out + i] = std::exp(cur[r * n_in + i] - m) / sum;
                    }
                    cur = std::move(next);
                    return;
                }
                for (std::size_t r = 0; r < batch; ++r)
                    for (std::size_t o = 0; o < n_out; ++o) {
                        if constexpr (is_linear<L>) {
                            const double* w = params.data() + e.param_offset;
                            double s = L::has_bias ? w[L::bias_offset + o] : 0.0;
                            for (std::size_t i = 0; i < n_in; ++i) s += w[o * n_in + i] * cur[r * n_in + i];
                            next[r * n_out + o] = s;
                        } else if constexpr (is_prelu<L>) {
                            const double x = cur[r * n_in + o];
                            const std::size_t channel = L::tensors[0].size() == 1 ? 0 : o / (n_in / e.in.dims[0]);
                            next[r * n_out + o] = x > 0 ? x : params[e.param_offset + channel] * x;
                        } else if constexpr (std::is_same_v<L, ctnn::GELU>) {
                            const double x = cur[r * n_in + o];
                            next[r * n_out + o] = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
                        } else if constexpr (is_user_scale<L>) {
                            next[r * n_out + o] = params[e.param_offset + o] * cur[r * n_in + o];
                        } else if constexpr (requires { typename L::epilogue_op; }) {
                            next[r * n_out + o] = activation<typename L::epilogue_op>(cur[r * n_in + o]);
                        }
                    }
                cur = std::move(next);
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});
    return cur;
}

template <class Net>
std::vector<float> reference_forward(const Net& net, const std::vector<float>& x, std::size_t batch) {
    const std::vector<double> p(net.parameters(), net.parameters() + Net::parameter_block_size);
    const auto y = reference_forward_double<Net>(p, std::vector<double>(x.begin(), x.end()), batch);
    return {y.begin(), y.end()};
}

}  // namespace test
