#pragma once
// ConvTranspose1D<InChannels, OutChannels, Kernel, Options...>: nn.ConvTranspose1d on C x T
// samples, the adjoint of a Conv1D (an upsampling decoder's layer, a TCN's transposed
// convolution). Options: Stride<S>, Padding<P>, OutputPadding<P>, Dilation<D>, Groups<G>,
// NoBias. Output length (T - 1) S - 2 P + D (K - 1) + OutputPadding + 1, as PyTorch's. Tensors
// as PyTorch's: weight [In, Out / groups, K] and bias [Out], U(-1/sqrt(fan_in), 1/sqrt(fan_in))
// with fan_in = Out / groups x K (what nn.ConvTranspose1d computes from its weight).
//
// It runs the convolution kernels backwards: the forward is the input gradient of the Conv1D
// that maps the output back to the input (same weight, stride, dilation, groups), the input
// gradient is that Conv1D's forward, and the weight gradient its weight gradient with the roles
// of input and output gradient exchanged. No stream: its output is longer than its input.
#include <algorithm>
#include <cstddef>
#include <string>
#include "../core/errors.hpp"
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/conv2d.hpp"
#include "options.hpp"

namespace ctnn {

template <std::size_t InChannels, std::size_t OutChannels, std::size_t Kernel, class... Options>
struct ConvTranspose1D {
    static_assert((detail::is_spatial_option<Options> && ...),
                  "ctnn::ConvTranspose1D: options are Stride, Padding, OutputPadding, Dilation, Groups, NoBias");
    static constexpr SpatialSettings settings = detail::spatial_settings<Options...>();
    static_assert(settings.kernel_w == 0 && !settings.same,
                  "ctnn::ConvTranspose1D: no KernelWidth or SamePadding (PyTorch's has neither)");
    static_assert(settings.stride_h == settings.stride_w && settings.pad_h == settings.pad_w &&
                      settings.dilation_h == settings.dilation_w,
                  "ctnn::ConvTranspose1D: Stride, Padding and Dilation take one value (the time axis)");
    static_assert(InChannels > 0 && OutChannels > 0 && Kernel > 0, "ctnn::ConvTranspose1D: sizes must be positive");
    static constexpr std::size_t stride = settings.stride_w ? settings.stride_w : 1, padding = settings.pad_w;
    static constexpr std::size_t dilation = settings.dilation_w, output_padding = settings.output_pad;
    static_assert(output_padding < stride || output_padding < dilation,
                  "ctnn::ConvTranspose1D: OutputPadding must be smaller than the stride or the dilation (as PyTorch's)");
    // The output steps past OutputPadding - Padding from the end must come from the kernels' geometry
    // (below); with a dilation PyTorch also allows more, which ctnn does not.
    static_assert(output_padding < stride + padding,
                  "ctnn::ConvTranspose1D: OutputPadding must be smaller than Stride + Padding");
    static constexpr std::size_t groups = settings.groups;
    static constexpr bool has_bias = settings.bias;
    static constexpr bool declaration_ok = InChannels % groups == 0 && OutChannels % groups == 0;
    using declaration_error = error::CONV_GROUPS_DO_NOT_DIVIDE_CHANNELS<groups, InChannels, OutChannels>;

    static constexpr std::size_t fan_in = OutChannels / groups * Kernel;
    static constexpr auto tensors = [] {
        constexpr TensorInfo weight{"weight", TensorRole::weight, {InChannels, OutChannels / groups, Kernel},
                                    DefaultInit::uniform_inv_sqrt(fan_in)};
        if constexpr (has_bias)
            return tensor_list<2>({{weight, {"bias", TensorRole::bias, {OutChannels}, DefaultInit::uniform_inv_sqrt(fan_in)}}});
        else
            return tensor_list<1>({{weight}});
    }();
    static constexpr std::size_t bias_offset = has_bias ? tensors.back().offset : 0;

    /// (T - 1) S - 2 P + D (K - 1) + OutputPadding + 1 (0 if the padding eats it all).
    static constexpr std::size_t output_length(std::size_t t) noexcept {
        const std::size_t full = (t - 1) * stride + dilation * (Kernel - 1) + output_padding + 1;
        return full > 2 * padding ? full - 2 * padding : 0;
    }
    /// The Conv1D from this layer's output {Out, T'} back to its input {In, T}, as the kernels see
    /// it (one row): padding P before, and after as much as makes its output T long again.
    static constexpr kernels::ConvGeometry geometry(Shape in) noexcept {
        kernels::ConvGeometry g;
        g.in_channels = OutChannels, g.out_channels = InChannels, g.height = 1, g.width = output_length(in.dims[1]);
        g.kernel_h = 1, g.kernel_w = Kernel, g.groups = groups;
        g.stride_h = 1, g.stride_w = stride, g.dilation_h = 1, g.dilation_w = dilation;
        g.pad_left = padding, g.pad_right = padding >= output_padding ? padding - output_padding : 0;
        return g;
    }

    /// InChannels by a length long enough that the padding leaves an output.
    static constexpr Shape expected_input(Shape in) noexcept {
        std::size_t t = in.rank == 2 && in.dims[1] > 0 ? in.dims[1] : 1;
        while (output_length(t) == 0) ++t;
        return Shape{InChannels, t};
    }
    static constexpr Shape output_shape(Shape in) noexcept { return Shape{OutChannels, output_length(in.dims[1])}; }
    /// The kernels' working memory, and the sample's bias-free output gradient is not needed.
    static constexpr std::size_t scratch_size(Shape in) noexcept { return geometry(in).scratch_floats(); }

    static std::string cpp_name() {
        return "ctnn::ConvTranspose1D<" + std::to_string(InChannels) + "," + std::to_string(OutChannels) + "," +
               std::to_string(Kernel) + detail::option_spellings<Options...>() + ">";
    }
    static std::string torch_module() {
        std::string s = "nn.ConvTranspose1d(" + std::to_string(InChannels) + ", " + std::to_string(OutChannels) + ", " +
                        std::to_string(Kernel);
        if (stride > 1) s += ", stride=" + std::to_string(stride);
        if (padding > 0) s += ", padding=" + std::to_string(padding);
        if (output_padding > 0) s += ", output_padding=" + std::to_string(output_padding);
        if (groups > 1) s += ", groups=" + std::to_string(groups);
        if (!has_bias) s += ", bias=False";
        if (dilation > 1) s += ", dilation=" + std::to_string(dilation);
        return s + ")";
    }

    template <Shape In, class Arch>
    static void forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch) noexcept {
        constexpr auto g = geometry(In);
        constexpr std::size_t t = g.width, out = OutChannels * t;
        kernels::conv2d_transposed<g, Arch>(x, batch, p, y, scratch);
        if constexpr (has_bias)
            for (std::size_t n = 0; n < batch; ++n)
                for (std::size_t o = 0; o < OutChannels; ++o) {
                    float* row = y + n * out + o * t;
                    const float b = p[bias_offset + o];
                    for (std::size_t i = 0; i < t; ++i) row[i] += b;
                }
    }

    template <Shape In, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp, float* scratch) noexcept {
        constexpr auto g = geometry(In);
        constexpr std::size_t t = g.width, out = OutChannels * t;
        // The Conv1D's weight gradient with dY as its input and x as its output gradient.
        kernels::conv2d_backward<g, Arch>(dy, x, batch, p, nullptr, dp, nullptr, scratch);
        if constexpr (has_bias)
            for (std::size_t n = 0; n < batch; ++n)
                for (std::size_t o = 0; o < OutChannels; ++o) {
                    const float* row = dy + n * out + o * t;
                    float s = 0;
                    for (std::size_t i = 0; i < t; ++i) s += row[i];
                    dp[bias_offset + o] += s;
                }
        if (dx) kernels::conv2d_forward<g, kernels::identity_op, Arch>(dy, batch, p, nullptr, dx, scratch);
    }
};

}  // namespace ctnn
