#pragma once
// Linear<In, Out>: y = W x + b, as torch.nn.Linear(In, Out): W is Out x In row-major, then b,
// each on a 64-byte boundary of the model's parameter block; both start as PyTorch draws them,
// U(-1/sqrt(In), 1/sqrt(In)). Linear<In, Out, ctnn::NoBias>: y = W x, as
// nn.Linear(In, Out, bias=False), with the weight alone. (Options are a trailing type pack, so
// a plain Linear is spelled Linear<In, Out> in compiler messages too.)
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include "../core/layer.hpp"
#include "../core/matrix_view.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/bf16.hpp"
#include "../kernels/int8.hpp"
#include "../kernels/linear.hpp"
#include "options.hpp"

namespace ctnn {

template <std::size_t In, std::size_t Out, class... Options>
struct Linear {
    static_assert((std::is_same_v<Options, NoBias> && ...), "ctnn::Linear: the only option is ctnn::NoBias");
    static constexpr bool Bias = sizeof...(Options) == 0;

    static constexpr std::size_t in_features = In, out_features = Out;
    static constexpr bool has_bias = Bias;

    static constexpr Shape input_shape{In};
    static constexpr Shape output_shape(Shape) noexcept { return Shape{Out}; }
    static constexpr auto tensors = [] {
        constexpr TensorInfo weight{"weight", TensorRole::weight, {Out, In}, DefaultInit::uniform_inv_sqrt(In)};
        if constexpr (Bias)
            return tensor_list<2>({{weight, {"bias", TensorRole::bias, {Out}, DefaultInit::uniform_inv_sqrt(In)}}});
        else
            return tensor_list<1>({{weight}});
    }();
    static constexpr std::size_t bias_offset = Bias ? tensors.back().offset : 0;  // with a bias
    static constexpr bool accepts_epilogue = true;
    /// The same layer with a bias (what fold_batch_norm turns it into).
    using with_bias = Linear<In, Out>;

    static std::string cpp_name() {
        return Bias ? template_spelling("ctnn::Linear", {In, Out})
                    : "ctnn::Linear<" + std::to_string(In) + "," + std::to_string(Out) + ",ctnn::NoBias>";
    }
    static std::string torch_module() {
        return "nn.Linear(" + std::to_string(In) + ", " + std::to_string(Out) + (Bias ? ")" : ", bias=False)");
    }

    /// The layer's tensors inside a parameter (or gradient) block; T is float or const float.
    /// Without bias, `bias` is empty.
    template <class T>
    struct View {
        MatrixView<T, Out, In> weight;
        std::span<T, Bias ? Out : 0> bias;
    };
    template <class T>
    static View<T> view(T* p) noexcept {
        if constexpr (Bias) return {MatrixView<T, Out, In>(p), std::span<T, Out>(p + bias_offset, Out)};
        else return {MatrixView<T, Out, In>(p), {}};
    }

    template <Shape, class Arch, class Epilogue = kernels::identity_op>
    static void forward(const float* p, const float* x, std::size_t batch, float* y) noexcept {
        kernels::linear_forward<In, Out, Epilogue, Arch>(x, batch, p, bias(p), y);
    }

    /// bf16 inference (model/bf16_model.hpp): the weight in bf16, packed (kernels/bf16.hpp);
    /// `rest` is the bias (fp32, bf16 values).
    static constexpr bool has_bf16_kernel = true;
    template <Shape, class Arch, class Epilogue = kernels::identity_op>
    static void forward_bf16(const std::uint16_t* w, const float* rest, const float* x, std::size_t batch,
                             float* y) noexcept {
        kernels::bf16_linear_forward<In, Out, Epilogue, Arch>(x, batch, w, Bias ? rest : zero_bias.data(), y);
    }

    /// int8 inference (model/int8_model.hpp): the weight in int8 per output, packed
    /// (kernels/int8.hpp), the input quantised to uint8; `p` holds the scales and the bias.
    static constexpr bool has_int8_kernel = true;
    template <Shape, class Arch, class Epilogue = kernels::identity_op>
    static void forward_int8(const kernels::Int8LinearParams& p, const float* x, std::size_t batch, float* y) noexcept {
        kernels::int8_linear_forward<In, Out, Epilogue, Arch>(x, batch, p, y);
    }

    template <Shape, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp) noexcept {
        kernels::linear_param_grad<In, Out, Arch>(x, dy, batch, dp, Bias ? dp + bias_offset : nullptr);
        if (dx) kernels::linear_input_grad<In, Out, Arch>(dy, batch, p, dx);
    }

private:
    // Without bias the kernels add zeros: one cached row, no second kernel.
    static constexpr std::array<float, Bias ? 0 : Out> zero_bias{};
    static const float* bias(const float* p) noexcept {
        if constexpr (Bias) return p + bias_offset;
        else return zero_bias.data();
    }
};

}  // namespace ctnn
