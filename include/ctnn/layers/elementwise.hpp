#pragma once
// The common part of activation layers: no parameters, the input's shape out, computed by a
// kernel op (kernels/activation_ops.hpp) whose derivative is a function of the output, so Seq
// can fuse the layer into the output pass of a Linear before it. An activation adds only its
// names: cpp_name() and torch_module().
#include <array>
#include <cstddef>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/elementwise.hpp"

namespace ctnn {

template <class Op>
struct Elementwise {
    using epilogue_op = Op;
    static constexpr std::array<TensorInfo, 0> tensors{};
    static constexpr Shape output_shape(Shape in) noexcept { return in; }

    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        kernels::activation_forward<Op, Arch>(x, batch * In.size(), y);
    }
    template <Shape In, class Arch>
    static void backward(const float*, const float*, const float* y, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (dx) kernels::activation_backward<Op, Arch>(y, dy, batch * In.size(), dx);
    }
};

namespace detail {
/// A ratio template argument in lowest terms and as a Python expression ("1/5"), so that
/// LeakyReLUSlope<20,100> and <1,5>, the same slope, share one name.
template <int Numerator, int Denominator>
struct Ratio {
    static_assert(Denominator != 0, "ctnn: a ratio's denominator must not be 0");
    static constexpr long long gcd(long long a, long long b) noexcept { return b == 0 ? (a < 0 ? -a : a) : gcd(b, a % b); }
    static constexpr long long g = gcd(Numerator, Denominator), sign = Denominator < 0 ? -1 : 1;
    static constexpr long long num = sign * Numerator / g, den = sign * Denominator / g;
    static std::string python() { return std::to_string(num) + (den == 1 ? "" : "/" + std::to_string(den)); }
    /// `plain` for PyTorch's default ratio, else "templated<num,den>".
    static std::string spelling(const char* plain, long long default_num, long long default_den, const char* templated) {
        if (num == default_num && den == default_den) return plain;
        return template_spelling(templated, {num, den});
    }
};
}  // namespace detail

}  // namespace ctnn
