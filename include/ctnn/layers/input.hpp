#pragma once
// Input<Dims...>: declares a Seq's input shape where its first layer takes whatever it is given
// (a convolution, an activation): Seq<Input<1, 28, 28>, Conv2D<1, 6, 5>, ...>. One dimension is
// a feature vector, two channels x time, three channels x height x width. It is not a layer: it
// computes nothing, holds no tensors and takes no position, so the first layer after it is
// position 0 and its tensors are named "0.weight", as in the equivalent nn.Sequential.
#include <cstddef>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"

namespace ctnn {

template <std::size_t... Dims>
struct Input {
    static_assert(sizeof...(Dims) >= 1 && sizeof...(Dims) <= 3,
                  "ctnn::Input: one to three dimensions (features; channels, time; channels, height, width)");
    static_assert(((Dims > 0) && ...), "ctnn::Input: every dimension must be positive");
    static constexpr bool is_input_marker = true;
    static constexpr Shape shape{Dims...};
    static std::string cpp_name() { return template_spelling("ctnn::Input", {static_cast<long long>(Dims)...}); }
};

}  // namespace ctnn
