#pragma once
// Flatten: C x H x W (or any shape) -> one feature vector of C * H * W values, in the same
// row-major order, as nn.Flatten(). A Linear after a convolution or pooling takes its input
// through one; the Linear's input size is checked against C * H * W.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"

namespace ctnn {

struct Flatten {
    static constexpr std::array<TensorInfo, 0> tensors{};
    static constexpr Shape output_shape(Shape in) noexcept { return Shape{in.size()}; }
    static std::string cpp_name() { return "ctnn::Flatten"; }
    static std::string torch_module() { return "nn.Flatten()"; }

    // A copy: the memory layout does not change, only the shape Seq checks against.
    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        std::copy_n(x, batch * In.size(), y);
    }
    template <Shape In, class Arch>
    static void backward(const float*, const float*, const float*, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (dx) std::copy_n(dy, batch * In.size(), dx);
    }
};

}  // namespace ctnn
