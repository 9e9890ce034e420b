#pragma once
// Linear<In, Out>: y = W x + b, as torch.nn.Linear(In, Out): W is Out x In row-major, then b,
// each on a 64-byte boundary of the model's parameter block; both start as PyTorch draws them,
// U(-1/sqrt(In), 1/sqrt(In)).
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include "../core/layer.hpp"
#include "../core/matrix_view.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/linear.hpp"

namespace ctnn {

template <std::size_t In, std::size_t Out>
struct Linear {
    static constexpr std::size_t in_features = In, out_features = Out;

    static constexpr Shape input_shape{In};
    static constexpr Shape output_shape(Shape) noexcept { return Shape{Out}; }
    static constexpr auto tensors = tensor_list<2>({{
        {"weight", TensorRole::weight, {Out, In}, DefaultInit::uniform_inv_sqrt(In)},
        {"bias", TensorRole::bias, {Out}, DefaultInit::uniform_inv_sqrt(In)},
    }});
    static constexpr std::size_t bias_offset = tensors[1].offset;
    static constexpr bool accepts_epilogue = true;

    static std::string cpp_name() { return template_spelling("ctnn::Linear", {In, Out}); }
    static std::string torch_module() { return "nn.Linear(" + std::to_string(In) + ", " + std::to_string(Out) + ")"; }

    /// The layer's tensors inside a parameter (or gradient) block; T is float or const float.
    template <class T>
    struct View {
        MatrixView<T, Out, In> weight;
        std::span<T, Out> bias;
    };
    template <class T>
    static View<T> view(T* p) noexcept {
        return {MatrixView<T, Out, In>(p), std::span<T, Out>(p + bias_offset, Out)};
    }

    template <Shape, class Arch, class Epilogue = kernels::identity_op>
    static void forward(const float* p, const float* x, std::size_t batch, float* y) noexcept {
        kernels::linear_forward<In, Out, Epilogue, Arch>(x, batch, p, p + bias_offset, y);
    }

    template <Shape, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp) noexcept {
        kernels::linear_param_grad<In, Out, Arch>(x, dy, batch, dp, dp + bias_offset);
        if (dx) kernels::linear_input_grad<In, Out, Arch>(dy, batch, p, dx);
    }
};

}  // namespace ctnn
