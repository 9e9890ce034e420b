#pragma once
// Linear<In, Out>: y = W x + b with W stored Out x In row-major (PyTorch's nn.Linear layout),
// then b, each starting on a 64-byte boundary of the model's parameter block.
#include <array>
#include <cstddef>
#include <span>
#include "../core/aligned_buffer.hpp"
#include "../core/matrix_view.hpp"
#include "../core/shape.hpp"
#include "../kernels/linear.hpp"
#include "../core/tensor_info.hpp"

namespace ctnn {

template <std::size_t In, std::size_t Out>
struct Linear {
    static constexpr std::size_t in_features = In, out_features = Out;

    // --- the layer protocol that Seq reads (see docs/design.md) ---
    static constexpr bool has_input_shape = true;
    static constexpr Shape input_shape{In};
    static constexpr Shape output_shape(Shape) noexcept { return Shape{Out}; }
    static constexpr bool is_elementwise = false;
    static constexpr bool takes_epilogue = true;
    static constexpr std::size_t bias_offset = detail::round_up(In * Out, floats_per_alignment);
    static constexpr std::size_t param_count = bias_offset + Out;
    static constexpr std::array<TensorInfo, 2> tensors{{{"weight", 0, 2, {Out, In}}, {"bias", bias_offset, 1, {Out, 0}}}};

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

    template <std::size_t, class Epilogue, class Arch>
    static void forward(const float* p, const float* x, std::size_t batch, float* y) noexcept {
        kernels::linear_forward<In, Out, Epilogue, Arch>(x, batch, p, p + bias_offset, y);
    }

    /// dy is the gradient at the layer's output; dx may be null (first layer: not needed).
    template <std::size_t, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp) noexcept {
        kernels::linear_param_grad<In, Out, Arch>(x, dy, batch, dp, dp + bias_offset);
        if (dx) kernels::linear_input_grad<In, Out, Arch>(dy, batch, p, dx);
    }
};

}  // namespace ctnn
