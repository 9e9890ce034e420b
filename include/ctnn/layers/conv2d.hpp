#pragma once
// Conv2D<InChannels, OutChannels, Kernel, Options...>: nn.Conv2d(InChannels, OutChannels, Kernel)
// on C x H x W samples, the height and width taken from the layer before (an Input<C, H, W> at
// the start of the Seq). Options (layers/options.hpp): Stride, Padding or SamePadding, Dilation,
// Groups, KernelWidth (a rectangular kernel), NoBias. Tensors as PyTorch's: weight
// [Out, In / groups, KH, KW] and bias [Out], both U(-1/sqrt(fan_in), 1/sqrt(fan_in)) at first.
// An input too small for the kernel, or with other than InChannels channels, is a compile error
// at the Seq's declaration (LAYER_INPUT_NOT_ACCEPTED, with the shape the layer needs).
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
struct Conv2D {
    static_assert((detail::is_spatial_option<Options> && ...),
                  "ctnn::Conv2D: options are Stride, Padding, SamePadding, Dilation, Groups, KernelWidth, NoBias");
    static constexpr SpatialSettings settings = detail::spatial_settings<Options...>();
    static constexpr std::size_t in_channels = InChannels, out_channels = OutChannels;
    static constexpr std::size_t kernel_h = Kernel, kernel_w = settings.kernel_w ? settings.kernel_w : Kernel;
    static constexpr std::size_t groups = settings.groups;
    static constexpr bool has_bias = settings.bias;
    static_assert(InChannels > 0 && OutChannels > 0 && Kernel > 0, "ctnn::Conv2D: sizes must be positive");
    static_assert(!settings.same || (settings.stride_h <= 1 && settings.stride_w <= 1),
                  "ctnn::Conv2D: SamePadding needs stride 1 (as PyTorch's padding='same')");
    static_assert(!settings.same || settings.pad_h + settings.pad_w == 0, "ctnn::Conv2D: Padding or SamePadding, not both");
    /// Groups that do not divide the channels: the Seq reports this error, naming the numbers.
    static constexpr bool declaration_ok = InChannels % groups == 0 && OutChannels % groups == 0;
    using declaration_error = error::CONV_GROUPS_DO_NOT_DIVIDE_CHANNELS<groups, InChannels, OutChannels>;

    /// The kernels' geometry for an input of shape `in` (C x H x W).
    static constexpr kernels::ConvGeometry geometry(Shape in) noexcept {
        kernels::ConvGeometry g;
        g.in_channels = InChannels, g.out_channels = OutChannels, g.height = in.dims[1], g.width = in.dims[2];
        g.kernel_h = kernel_h, g.kernel_w = kernel_w, g.groups = groups;
        g.stride_h = settings.stride_h ? settings.stride_h : 1, g.stride_w = settings.stride_w ? settings.stride_w : 1;
        g.dilation_h = settings.dilation_h, g.dilation_w = settings.dilation_w;
        if (settings.same) {
            const std::size_t th = settings.dilation_h * (kernel_h - 1), tw = settings.dilation_w * (kernel_w - 1);
            g.pad_top = th / 2, g.pad_bottom = th - th / 2, g.pad_left = tw / 2, g.pad_right = tw - tw / 2;
        } else {
            g.pad_top = g.pad_bottom = settings.pad_h, g.pad_left = g.pad_right = settings.pad_w;
        }
        return g;
    }

    static constexpr std::size_t fan_in = InChannels / groups * kernel_h * kernel_w;
    static constexpr auto tensors = [] {
        constexpr TensorInfo weight{"weight", TensorRole::weight, {OutChannels, InChannels / groups, kernel_h, kernel_w},
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
        using type = Conv2D<InChannels, OutChannels, Kernel, O...>;
    };

public:
    /// The same convolution with a bias (what fold_batch_norm turns it into).
    using with_bias = typename rebind<detail::without_no_bias<Options...>>::type;

    /// InChannels x at least the (dilated) kernel's extent, padding included.
    static constexpr Shape expected_input(Shape in) noexcept {
        const auto g = geometry(in);
        const std::size_t span_h = g.dilation_h * (kernel_h - 1) + 1, span_w = g.dilation_w * (kernel_w - 1) + 1;
        const std::size_t pads_h = g.pad_top + g.pad_bottom, pads_w = g.pad_left + g.pad_right;
        const std::size_t min_h = span_h > pads_h ? span_h - pads_h : 1, min_w = span_w > pads_w ? span_w - pads_w : 1;
        const bool image = in.rank == 3;
        return Shape{InChannels, image && in.dims[1] >= min_h ? in.dims[1] : min_h,
                     image && in.dims[2] >= min_w ? in.dims[2] : min_w};
    }
    static constexpr Shape output_shape(Shape in) noexcept {
        const auto g = geometry(in);
        return Shape{OutChannels, g.out_height(), g.out_width()};
    }
    static constexpr std::size_t scratch_size(Shape in) noexcept { return geometry(in).scratch_floats(); }

    static std::string cpp_name() {
        return "ctnn::Conv2D<" + std::to_string(InChannels) + "," + std::to_string(OutChannels) + "," +
               std::to_string(Kernel) + detail::option_spellings<Options...>() + ">";
    }
    static std::string torch_module() {
        using detail::torch_pair;
        std::string s = "nn.Conv2d(" + std::to_string(InChannels) + ", " + std::to_string(OutChannels) + ", " +
                        torch_pair(kernel_h, kernel_w);
        if (settings.stride_h > 1 || settings.stride_w > 1) s += ", stride=" + torch_pair(settings.stride_h, settings.stride_w);
        if (settings.same) s += ", padding='same'";
        else if (settings.pad_h + settings.pad_w > 0) s += ", padding=" + torch_pair(settings.pad_h, settings.pad_w);
        if (settings.dilation_h > 1 || settings.dilation_w > 1)
            s += ", dilation=" + torch_pair(settings.dilation_h, settings.dilation_w);
        if (groups > 1) s += ", groups=" + std::to_string(groups);
        if (!has_bias) s += ", bias=False";
        return s + ")";
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
