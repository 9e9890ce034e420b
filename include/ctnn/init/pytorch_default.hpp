#pragma once
// PyTorch's default for nn.Linear: weights kaiming_uniform_(a = sqrt(5)), which is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
#include <cmath>
#include "for_each_linear.hpp"
#include "../util/rng.hpp"

namespace ctnn::init {

/// Biases only, as PyTorch sets them at construction.
template <class Net>
void pytorch_default_bias(Net& net, Rng& rng) {
    detail::for_each_weighted_layer(net, [&](auto layer, std::size_t fan_in, std::size_t) {
        const double bound = 1.0 / std::sqrt(double(fan_in));
        detail::fill(layer.bias, [&] { return rng.uniform(-bound, bound); });
    });
}

/// Weights and biases as a freshly constructed torch.nn.Linear has them.
template <class Net>
void pytorch_default(Net& net, Rng& rng) {
    detail::for_each_weighted_layer(net, [&](auto layer, std::size_t fan_in, std::size_t) {
        const double bound = 1.0 / std::sqrt(double(fan_in));
        detail::fill(layer.weight.span(), [&] { return rng.uniform(-bound, bound); });
        detail::fill(layer.bias, [&] { return rng.uniform(-bound, bound); });
    });
}

}  // namespace ctnn::init
