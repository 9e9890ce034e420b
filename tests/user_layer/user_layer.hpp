#pragma once
// A layer defined outside namespace ctnn, from the protocol in ctnn/core/layer.hpp alone: a
// learnable per-feature scale, y = x * w, with one parameter tensor "weight" of shape [N]
// starting at 1. It trains, saves, loads and exports like ctnn's own layers.
#include <ctnn/ctnn.hpp>
#include <cstddef>
#include <string>

namespace user {

template <std::size_t N>
struct Scale {
    static constexpr ctnn::Shape input_shape{N};
    static constexpr ctnn::Shape output_shape(ctnn::Shape in) noexcept { return in; }
    static constexpr auto tensors = ctnn::tensor_list<1>(
        {{{"weight", ctnn::TensorRole::parameter, {N}, ctnn::DefaultInit::constant(1.0f)}}});
    static std::string cpp_name() { return ctnn::template_spelling("user::Scale", {N}); }

    template <ctnn::Shape, class Arch>
    static void forward(const float* w, const float* x, std::size_t batch, float* y) noexcept {
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < N; ++i) y[r * N + i] = x[r * N + i] * w[i];
    }
    template <ctnn::Shape, class Arch>
    static void backward(const float* w, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dw) noexcept {
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < N; ++i) {
                dw[i] += dy[r * N + i] * x[r * N + i];
                if (dx) dx[r * N + i] = dy[r * N + i] * w[i];
            }
    }
};

// The network the export test compiles into a header.
using ScaledNet = ctnn::Seq<ctnn::Linear<3, 4>, Scale<4>, ctnn::Tanh, ctnn::Linear<4, 2>>;

}  // namespace user
