#pragma once
// Pooling, as PyTorch's modules (floor mode), over images C x H x W and sequences C x T:
//   MaxPool2D<Kernel, Options...>  nn.MaxPool2d(Kernel)      stride defaults to the kernel
//   AvgPool2D<Kernel, Options...>  nn.AvgPool2d(Kernel)      padding counted as zeros
//   MaxPool1D<Kernel, Options...>  nn.MaxPool1d(Kernel)      the same along time
//   AvgPool1D<Kernel, Options...>  nn.AvgPool1d(Kernel)
//   GlobalAvgPool2D                nn.AdaptiveAvgPool2d(1)   C x H x W -> C x 1 x 1
// Options (layers/options.hpp): Stride, Padding, KernelWidth (2-D only; 1-D options take one
// value). No tensors. A window larger than the (padded) input is a compile error at the Seq's
// declaration, LAYER_INPUT_NOT_ACCEPTED. A sequence is pooled as a one-row image.
#include <cstddef>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/pool2d.hpp"
#include "options.hpp"

namespace ctnn {
namespace detail {

enum class PoolKind { max, average };

template <PoolKind Kind, std::size_t Dims, std::size_t Kernel, class... Options>
struct Pool {
    static_assert((detail::is_spatial_option<Options> && ...),
                  "ctnn: the options of a pooling layer are Stride, Padding and KernelWidth");
    static constexpr SpatialSettings settings = detail::spatial_settings<Options...>();
    static_assert(Kernel > 0, "ctnn: a pooling window must be at least 1 x 1");
    static_assert(settings.groups == 1 && settings.bias && !settings.same && settings.dilation_h == 1 &&
                      settings.dilation_w == 1,
                  "ctnn: the options of a pooling layer are Stride, Padding and KernelWidth");
    static_assert(Dims == 2 || (settings.kernel_w == 0 && settings.stride_h == settings.stride_w &&
                                settings.pad_h == settings.pad_w),
                  "ctnn: a 1-D pooling layer takes one-value Stride and Padding, and no KernelWidth");
    static constexpr bool image = Dims == 2;
    static constexpr std::size_t kernel_h = image ? Kernel : 1;
    static constexpr std::size_t kernel_w = settings.kernel_w ? settings.kernel_w : Kernel;
    static constexpr std::size_t pad_h = image ? settings.pad_h : 0, pad_w = settings.pad_w;
    static_assert(2 * pad_h <= kernel_h && 2 * pad_w <= kernel_w,
                  "ctnn: pooling padding must be at most half the window (as PyTorch requires)");

    /// The kernels' geometry: an image, or a sequence as one row.
    static constexpr kernels::PoolGeometry geometry(Shape in) noexcept {
        return {in.dims[0], image ? in.dims[1] : 1, image ? in.dims[2] : in.dims[1], kernel_h, kernel_w,
                image && settings.stride_h ? settings.stride_h : kernel_h,
                settings.stride_w ? settings.stride_w : kernel_w, pad_h, pad_w};
    }

    static constexpr std::array<TensorInfo, 0> tensors{};
    /// An input at least as large as the window, padding included.
    static constexpr Shape expected_input(Shape in) noexcept {
        const std::size_t min_h = kernel_h - 2 * pad_h, min_w = kernel_w - 2 * pad_w;
        const std::size_t c = in.rank ? in.dims[0] : 1;
        if constexpr (image) {
            if (in.rank != 3) return Shape{c, min_h ? min_h : 1, min_w ? min_w : 1};
            return Shape{c, in.dims[1] < min_h ? min_h : in.dims[1], in.dims[2] < min_w ? min_w : in.dims[2]};
        } else {
            if (in.rank != 2) return Shape{c, min_w ? min_w : 1};
            return Shape{c, in.dims[1] < min_w ? min_w : in.dims[1]};
        }
    }
    static constexpr Shape output_shape(Shape in) noexcept {
        const auto g = geometry(in);
        if constexpr (image) return Shape{in.dims[0], g.out_height(), g.out_width()};
        else return Shape{in.dims[0], g.out_width()};
    }

    static std::string cpp_name() {
        const char* name = Kind == PoolKind::max ? (image ? "ctnn::MaxPool2D<" : "ctnn::MaxPool1D<")
                                                 : (image ? "ctnn::AvgPool2D<" : "ctnn::AvgPool1D<");
        return name + std::to_string(Kernel) + detail::option_spellings<Options...>() + ">";
    }
    static std::string torch_module() {
        using detail::torch_pair;
        std::string s = std::string(Kind == PoolKind::max ? "nn.MaxPool" : "nn.AvgPool") + (image ? "2d(" : "1d(");
        if constexpr (image) {
            s += torch_pair(kernel_h, kernel_w);
            if (settings.stride_h) s += ", stride=" + torch_pair(settings.stride_h, settings.stride_w);
            if (settings.pad_h + settings.pad_w) s += ", padding=" + torch_pair(settings.pad_h, settings.pad_w);
        } else {
            s += std::to_string(Kernel);
            if (settings.stride_w) s += ", stride=" + std::to_string(settings.stride_w);
            if (pad_w) s += ", padding=" + std::to_string(pad_w);
        }
        return s + ")";
    }

    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        if constexpr (Kind == PoolKind::max) kernels::max_pool2d_forward<geometry(In), Arch>(x, batch, y);
        else kernels::avg_pool2d_forward<geometry(In), Arch>(x, batch, y);
    }
    template <Shape In, class Arch>
    static void backward(const float*, const float* x, const float* y, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (!dx) return;
        if constexpr (Kind == PoolKind::max) kernels::max_pool2d_backward<geometry(In), Arch>(x, y, dy, batch, dx);
        else kernels::avg_pool2d_backward<geometry(In)>(dy, batch, dx);
    }
};

}  // namespace detail

template <std::size_t Kernel, class... Options>
struct MaxPool2D : detail::Pool<detail::PoolKind::max, 2, Kernel, Options...> {};

template <std::size_t Kernel, class... Options>
struct AvgPool2D : detail::Pool<detail::PoolKind::average, 2, Kernel, Options...> {};

/// Max pooling along time, C x T -> C x T' (nn.MaxPool1d).
template <std::size_t Kernel, class... Options>
struct MaxPool1D : detail::Pool<detail::PoolKind::max, 1, Kernel, Options...> {};

/// Average pooling along time, C x T -> C x T' (nn.AvgPool1d; padding counted as zeros).
template <std::size_t Kernel, class... Options>
struct AvgPool1D : detail::Pool<detail::PoolKind::average, 1, Kernel, Options...> {};

/// The mean of each channel: C x H x W -> C x 1 x 1, as nn.AdaptiveAvgPool2d(1) (a Flatten after
/// it gives the C features a Linear takes).
struct GlobalAvgPool2D {
    static constexpr std::array<TensorInfo, 0> tensors{};
    static constexpr Shape expected_input(Shape in) noexcept {
        return in.rank == 3 ? in : Shape{in.rank ? in.dims[0] : 1, 1, 1};
    }
    static constexpr Shape output_shape(Shape in) noexcept { return Shape{in.dims[0], 1, 1}; }
    static std::string cpp_name() { return "ctnn::GlobalAvgPool2D"; }
    static std::string torch_module() { return "nn.AdaptiveAvgPool2d(1)"; }

    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        constexpr std::size_t plane = In.dims[1] * In.dims[2];
        for (std::size_t c = 0; c < batch * In.dims[0]; ++c) {
            float s = 0;
            for (std::size_t i = 0; i < plane; ++i) s += x[c * plane + i];
            y[c] = s / float(plane);
        }
    }
    template <Shape In, class Arch>
    static void backward(const float*, const float*, const float*, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (!dx) return;
        constexpr std::size_t plane = In.dims[1] * In.dims[2];
        for (std::size_t c = 0; c < batch * In.dims[0]; ++c)
            for (std::size_t i = 0; i < plane; ++i) dx[c * plane + i] = dy[c] / float(plane);
    }
};

}  // namespace ctnn
