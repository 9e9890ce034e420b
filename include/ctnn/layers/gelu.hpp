#pragma once
// GELU: x * Phi(x), as torch.nn.GELU() (exact, with erf). Its slope depends on the input, not
// the output, so it is not fused into the layer before: backward reads the input Seq keeps.
#include <array>
#include <cstddef>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/activation_ops.hpp"
#include "../kernels/elementwise.hpp"

namespace ctnn {

struct GELU {
    static constexpr std::array<TensorInfo, 0> tensors{};
    static constexpr Shape output_shape(Shape in) noexcept { return in; }
    static constexpr bool per_time_step = true;  // a Stream runs it on each time step
    static std::string cpp_name() { return "ctnn::GELU"; }
    static std::string torch_module() { return "nn.GELU()"; }

    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        kernels::activation_forward<kernels::gelu_op, Arch>(x, batch * In.size(), y);
    }
    template <Shape In, class Arch>
    static void backward(const float*, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (dx) kernels::activation_backward_from_input<kernels::gelu_op, Arch>(x, dy, batch * In.size(), dx);
    }
};

}  // namespace ctnn
