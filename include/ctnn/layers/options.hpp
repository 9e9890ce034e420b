#pragma once
// The options of the layers, written after their sizes in any order (Linear<256, 10, NoBias>;
// Conv2D and the pooling layers):
//   Conv2D<16, 32, 3, Stride<2>, Padding<1>>     Conv2D<8, 8, 3, Groups<8>, SamePadding, NoBias>
// One value means the same for height and width; two are (height, width), as PyTorch's tuples.
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include "../core/layer.hpp"

namespace ctnn {

namespace detail {
/// "ctnn::Stride<2>" or "ctnn::Stride<2,1>": one value when height and width agree.
inline std::string pair_spelling(const char* name, std::size_t h, std::size_t w) {
    return h == w ? template_spelling(name, {static_cast<long long>(h)})
                  : template_spelling(name, {static_cast<long long>(h), static_cast<long long>(w)});
}
/// PyTorch's spelling of a size pair: "2" or "(2, 1)".
inline std::string torch_pair(std::size_t h, std::size_t w) {
    return h == w ? std::to_string(h) : "(" + std::to_string(h) + ", " + std::to_string(w) + ")";
}
}  // namespace detail

/// The settings options write into; each layer reads the ones it supports.
struct SpatialSettings {
    std::size_t kernel_w = 0;  // 0: square
    std::size_t stride_h = 0, stride_w = 0;  // 0: the layer's default (1; pooling: the kernel)
    std::size_t pad_h = 0, pad_w = 0;
    bool same = false;
    std::size_t dilation_h = 1, dilation_w = 1;
    std::size_t groups = 1;
    bool bias = true;
    std::size_t output_pad = 0;  // ConvTranspose1D only
};
/// No bias tensor: Linear<256, 10, NoBias>, Conv2D<8, 16, 3, NoBias> (PyTorch's bias=False).
struct NoBias {
    static constexpr void apply(SpatialSettings& s) noexcept { s.bias = false; }
    static std::string cpp_name() { return "ctnn::NoBias"; }
};

namespace detail {
/// std::tuple<Options...> without NoBias: a layer's options once it has a bias again.
template <class... Options>
using without_no_bias = decltype(std::tuple_cat(
    std::declval<std::conditional_t<std::is_same_v<Options, NoBias>, std::tuple<>, std::tuple<Options>>>()...));
}  // namespace detail

/// Stride<S> or Stride<SH, SW>: the step between windows (default 1; pooling: the kernel).
template <std::size_t H, std::size_t W = H>
struct Stride {
    static_assert(H > 0 && W > 0, "ctnn::Stride: strides must be positive");
    static constexpr void apply(SpatialSettings& s) noexcept { s.stride_h = H, s.stride_w = W; }
    static std::string cpp_name() { return detail::pair_spelling("ctnn::Stride", H, W); }
};

/// Padding<P> or Padding<PH, PW>: zeros added on each side (pooling: -inf for max).
template <std::size_t H, std::size_t W = H>
struct Padding {
    static constexpr void apply(SpatialSettings& s) noexcept { s.pad_h = H, s.pad_w = W; }
    static std::string cpp_name() { return detail::pair_spelling("ctnn::Padding", H, W); }
};

/// PyTorch's padding='same' (stride 1): the output has the input's height and width; an odd
/// total padding puts the extra row and column after, as PyTorch does.
struct SamePadding {
    static constexpr void apply(SpatialSettings& s) noexcept { s.same = true; }
    static std::string cpp_name() { return "ctnn::SamePadding"; }
};

/// Dilation<D> or Dilation<DH, DW>: the spacing between a kernel's taps (default 1).
template <std::size_t H, std::size_t W = H>
struct Dilation {
    static_assert(H > 0 && W > 0, "ctnn::Dilation: dilations must be positive");
    static constexpr void apply(SpatialSettings& s) noexcept { s.dilation_h = H, s.dilation_w = W; }
    static std::string cpp_name() { return detail::pair_spelling("ctnn::Dilation", H, W); }
};

/// Groups<G>: channels split into G groups convolved separately; Groups<C> is depthwise.
template <std::size_t G>
struct Groups {
    static_assert(G > 0, "ctnn::Groups: at least one group");
    static constexpr void apply(SpatialSettings& s) noexcept { s.groups = G; }
    static std::string cpp_name() { return template_spelling("ctnn::Groups", {G}); }
};

/// OutputPadding<P>: a transposed convolution's extra output steps at the end (PyTorch's
/// output_padding, smaller than the stride or the dilation): ConvTranspose1D only.
template <std::size_t P>
struct OutputPadding {
    static constexpr void apply(SpatialSettings& s) noexcept { s.output_pad = P; }
    static std::string cpp_name() { return template_spelling("ctnn::OutputPadding", {P}); }
};

/// KernelWidth<W>: a rectangular kernel, the layer's kernel size being its height:
/// Conv2D<1, 8, 3, KernelWidth<5>> is nn.Conv2d(1, 8, (3, 5)).
template <std::size_t W>
struct KernelWidth {
    static_assert(W > 0, "ctnn::KernelWidth: the kernel width must be positive");
    static constexpr void apply(SpatialSettings& s) noexcept { s.kernel_w = W; }
    static std::string cpp_name() { return template_spelling("ctnn::KernelWidth", {W}); }
};

namespace detail {
template <class Option>
inline constexpr bool is_spatial_option = requires(SpatialSettings& s) { Option::apply(s); };

template <class... Options>
constexpr SpatialSettings spatial_settings() noexcept {
    SpatialSettings s;
    (Options::apply(s), ...);
    return s;
}

/// ",ctnn::Stride<2>,ctnn::Padding<1>": the options as written, for cpp_name().
template <class... Options>
std::string option_spellings() {
    std::string s;
    ((s += ',', s += Options::cpp_name()), ...);  // appended: "," + name gives g++ 12 a false -Wstringop-overflow
    return s;
}
}  // namespace detail

}  // namespace ctnn
