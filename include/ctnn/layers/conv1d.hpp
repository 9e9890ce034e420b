#pragma once
// Conv1D<InChannels, OutChannels, Kernel, Options...>: nn.Conv1d(InChannels, OutChannels, Kernel)
// on C x T samples (a sequence: channels by time), the length taken from the layer before (an
// Input<C, T> at the start of the Seq). Options (layers/options.hpp): Stride<S>, Padding<P> or
// SamePadding, Dilation<D>, Groups<G>, NoBias. Tensors as PyTorch's: weight [Out, In / groups, K]
// and bias [Out], both U(-1/sqrt(fan_in), 1/sqrt(fan_in)) at first.
//
// A sequence C x T is laid out as an image C x 1 x T and the weight [Out, In / G, K] as
// [Out, In / G, 1, K], so the layer runs the 2-D convolution's kernels (kernels/conv2d.hpp) on
// one row: the same im2col and products, the same direct path for short kernels.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include "../core/errors.hpp"
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/conv2d.hpp"
#include "../kernels/linear.hpp"
#include "options.hpp"

namespace ctnn {

template <std::size_t InChannels, std::size_t OutChannels, std::size_t Kernel, class... Options>
struct Conv1D {
    static_assert((detail::is_spatial_option<Options> && ...),
                  "ctnn::Conv1D: options are Stride, Padding, SamePadding, Dilation, Groups, NoBias");
    static constexpr SpatialSettings settings = detail::spatial_settings<Options...>();
    static_assert(settings.kernel_w == 0, "ctnn::Conv1D: KernelWidth is for 2-D kernels; the kernel is Kernel taps");
    static_assert(settings.output_pad == 0, "ctnn::Conv1D: OutputPadding is for ConvTranspose1D");
    static_assert(settings.stride_h == settings.stride_w && settings.pad_h == settings.pad_w &&
                      settings.dilation_h == settings.dilation_w,
                  "ctnn::Conv1D: Stride, Padding and Dilation take one value (the time axis)");
    static constexpr std::size_t in_channels = InChannels, out_channels = OutChannels, kernel = Kernel;
    static constexpr std::size_t groups = settings.groups;
    static constexpr bool has_bias = settings.bias;
    static_assert(InChannels > 0 && OutChannels > 0 && Kernel > 0, "ctnn::Conv1D: sizes must be positive");
    static_assert(!settings.same || settings.stride_w <= 1,
                  "ctnn::Conv1D: SamePadding needs stride 1 (as PyTorch's padding='same')");
    static_assert(!settings.same || settings.pad_w == 0, "ctnn::Conv1D: Padding or SamePadding, not both");
    static constexpr bool declaration_ok = InChannels % groups == 0 && OutChannels % groups == 0;
    using declaration_error = error::CONV_GROUPS_DO_NOT_DIVIDE_CHANNELS<groups, InChannels, OutChannels>;

    /// The kernels' geometry for an input of shape `in` (C x T): one row of T values.
    static constexpr kernels::ConvGeometry geometry(Shape in) noexcept {
        kernels::ConvGeometry g;
        g.in_channels = InChannels, g.out_channels = OutChannels, g.height = 1, g.width = in.dims[1];
        g.kernel_h = 1, g.kernel_w = Kernel, g.groups = groups;
        g.stride_h = 1, g.stride_w = settings.stride_w ? settings.stride_w : 1;
        g.dilation_h = 1, g.dilation_w = settings.dilation_w;
        if (settings.same) {
            const std::size_t total = settings.dilation_w * (Kernel - 1);
            g.pad_left = total / 2, g.pad_right = total - total / 2;
        } else {
            g.pad_left = g.pad_right = settings.pad_w;
        }
        return g;
    }

    static constexpr std::size_t fan_in = InChannels / groups * Kernel;
    static constexpr auto tensors = [] {
        constexpr TensorInfo weight{"weight", TensorRole::weight, {OutChannels, InChannels / groups, Kernel},
                                    DefaultInit::uniform_inv_sqrt(fan_in)};
        if constexpr (has_bias)
            return tensor_list<2>({{weight, {"bias", TensorRole::bias, {OutChannels}, DefaultInit::uniform_inv_sqrt(fan_in)}}});
        else
            return tensor_list<1>({{weight}});
    }();
    static constexpr std::size_t bias_offset = has_bias ? tensors.back().offset : 0;
    static constexpr bool accepts_epilogue = true;

private:
    template <class Tuple>
    struct rebind;
    template <class... O>
    struct rebind<std::tuple<O...>> {
        using type = Conv1D<InChannels, OutChannels, Kernel, O...>;
    };

public:
    /// The same convolution with a bias (what fold_batch_norm turns it into).
    using with_bias = typename rebind<detail::without_no_bias<Options...>>::type;

    /// InChannels x at least the (dilated) kernel's extent, padding included.
    static constexpr Shape expected_input(Shape in) noexcept {
        const auto g = geometry(in);
        const std::size_t span = g.dilation_w * (Kernel - 1) + 1, pads = g.pad_left + g.pad_right;
        const std::size_t min_t = span > pads ? span - pads : 1;
        return Shape{InChannels, in.rank == 2 && in.dims[1] >= min_t ? in.dims[1] : min_t};
    }
    static constexpr Shape output_shape(Shape in) noexcept { return Shape{OutChannels, geometry(in).out_width()}; }
    static constexpr std::size_t scratch_size(Shape in) noexcept { return geometry(in).scratch_floats(); }

    static std::string cpp_name() {
        return "ctnn::Conv1D<" + std::to_string(InChannels) + "," + std::to_string(OutChannels) + "," +
               std::to_string(Kernel) + detail::option_spellings<Options...>() + ">";
    }
    static std::string torch_module() {
        std::string s = "nn.Conv1d(" + std::to_string(InChannels) + ", " + std::to_string(OutChannels) + ", " +
                        std::to_string(Kernel);
        if (settings.stride_w > 1) s += ", stride=" + std::to_string(settings.stride_w);
        if (settings.same) s += ", padding='same'";
        else if (settings.pad_w > 0) s += ", padding=" + std::to_string(settings.pad_w);
        if (settings.dilation_w > 1) s += ", dilation=" + std::to_string(settings.dilation_w);
        if (groups > 1) s += ", groups=" + std::to_string(groups);
        if (!has_bias) s += ", bias=False";
        return s + ")";
    }

    // Streaming (model/stream.hpp): one time step at a time, causally: the output at step t reads
    // the inputs t - (K - 1) D ... t, the last span - 1 of which the stream's state keeps, oldest
    // first. Only without stride or padding: a stream has one output per input and no future.
    static constexpr bool streams = settings.stride_w <= 1 && !settings.same && settings.pad_w == 0;
    static constexpr std::size_t span = settings.dilation_w * (Kernel - 1) + 1;
    static constexpr std::size_t stream_state_size(Shape) noexcept { return (span - 1) * InChannels; }
    template <Shape, class Arch, class Epilogue = kernels::identity_op>
        requires streams
    static void stream_step(const float* p, const float* x, float* y, float* history) noexcept {
        // The step's im2col: col[g][c * K + k] is input channel c of group g, k taps back, so
        // each output is one dot product with its contiguous weight row, as a batch-1 Linear.
        constexpr std::size_t cin = InChannels / groups, outs = OutChannels / groups, taps = cin * Kernel;
        constexpr std::size_t d = settings.dilation_w;
        alignas(64) float col[InChannels * Kernel];
        for (std::size_t k = 0; k < Kernel; ++k) {
            const std::size_t delay = (Kernel - 1 - k) * d;
            const float* v = delay == 0 ? x : history + (span - 1 - delay) * InChannels;
            for (std::size_t g = 0; g < groups; ++g)
                for (std::size_t c = 0; c < cin; ++c) col[g * taps + c * Kernel + k] = v[g * cin + c];
        }
        // Fewer outputs than a vector: the next narrower instruction set (8 outputs: AVX2).
        using Gemv = std::conditional_t<(outs < kernels::lanes<Arch>) && !std::is_void_v<kernels::narrower_arch<Arch>>,
                                        kernels::narrower_arch<Arch>, Arch>;
        static constexpr std::array<float, OutChannels> no_bias{};
        const float* bias = has_bias ? p + bias_offset : no_bias.data();
        for (std::size_t g = 0; g < groups; ++g)
            kernels::detail::gemv<taps, outs, Epilogue, Gemv>(col + g * taps, p + g * outs * taps, bias + g * outs,
                                                              y + g * outs);
        if constexpr (span > 1) {  // drop the oldest step, append this one
            std::copy(history + InChannels, history + (span - 1) * InChannels, history);
            std::copy(x, x + InChannels, history + (span - 2) * InChannels);
        }
    }

    template <Shape In, class Arch, class Epilogue = kernels::identity_op>
    static void forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch) noexcept {
        kernels::conv2d_forward<geometry(In), Epilogue, Arch>(x, batch, p, has_bias ? p + bias_offset : nullptr, y,
                                                              scratch);
    }

    template <Shape In, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp, float* scratch) noexcept {
        kernels::conv2d_backward<geometry(In), Arch>(x, dy, batch, p, dx, dp, has_bias ? dp + bias_offset : nullptr,
                                                     scratch);
    }
};

}  // namespace ctnn
