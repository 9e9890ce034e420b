#pragma once
// The common shape of activation layers: no parameters, output shape = input shape (taken from
// the layer before), computed by a kernel op. Seq fuses one that follows a Linear into the
// Linear's output pass.
#include <array>
#include <cstddef>
#include "../core/shape.hpp"
#include "../kernels/elementwise.hpp"
#include "../core/tensor_info.hpp"

namespace ctnn {

template <class Op>
struct Elementwise {
    using op = Op;
    static constexpr bool has_input_shape = false;
    static constexpr Shape input_shape{};
    static constexpr Shape output_shape(Shape in) noexcept { return in; }
    static constexpr bool is_elementwise = true;
    static constexpr bool takes_epilogue = false;
    static constexpr std::size_t param_count = 0;
    static constexpr std::array<TensorInfo, 0> tensors{};

    template <class T>
    struct View {};
    template <class T>
    static View<T> view(T*) noexcept { return {}; }

    template <std::size_t InSize, class, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        kernels::activation_forward<Op, Arch>(x, batch * InSize, y);
    }
    template <std::size_t InSize, class Arch>
    static void backward(const float*, const float*, const float* y, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (dx) kernels::activation_backward<Op, Arch>(y, dy, batch * InSize, dx);
    }
};

}  // namespace ctnn
