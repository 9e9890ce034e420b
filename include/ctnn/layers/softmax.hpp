#pragma once
// Softmax: each sample's outputs as probabilities, exp(x_i) / sum_j exp(x_j), as
// torch.nn.Softmax(dim=1). For a model's output at inference. A classifier trains on logits
// with loss::SoftmaxCrossEntropy, which applies the softmax itself: put Softmax after the last
// Linear only in the model you run, or use predict/probabilities on the logits model.
#include <array>
#include <cstddef>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/softmax.hpp"

namespace ctnn {

struct Softmax {
    static constexpr std::array<TensorInfo, 0> tensors{};
    static constexpr Shape output_shape(Shape in) noexcept { return in; }
    static std::string cpp_name() { return "ctnn::Softmax"; }
    static std::string torch_module() { return "nn.Softmax(dim=1)"; }

    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        kernels::softmax_rows<Arch>(x, batch, In.size(), y);
    }
    template <Shape In, class Arch>
    static void backward(const float*, const float*, const float* y, const float* dy, std::size_t batch, float* dx,
                         float*) noexcept {
        if (dx) kernels::softmax_backward_rows<Arch>(y, dy, batch, In.size(), dx);
    }
};

}  // namespace ctnn
