#pragma once
// Xavier/Glorot: torch.nn.init.xavier_uniform_ (U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)))
// and xavier_normal_ (std = gain sqrt(2 / (fan_in + fan_out))) on the weights; biases keep
// PyTorch's default.
#include <cmath>
#include "for_each_linear.hpp"
#include "pytorch_default.hpp"
#include "../util/rng.hpp"

namespace ctnn::init {

template <class Net>
void xavier_uniform(Net& net, Rng& rng, double gain = 1.0) {
    pytorch_default_bias(net, rng);
    detail::for_each_weighted_layer(net, [&](auto layer, std::size_t fan_in, std::size_t fan_out) {
        const double a = gain * std::sqrt(6.0 / double(fan_in + fan_out));
        detail::fill(layer.weight.span(), [&] { return rng.uniform(-a, a); });
    });
}

template <class Net>
void xavier_normal(Net& net, Rng& rng, double gain = 1.0) {
    pytorch_default_bias(net, rng);
    detail::for_each_weighted_layer(net, [&](auto layer, std::size_t fan_in, std::size_t fan_out) {
        const double stddev = gain * std::sqrt(2.0 / double(fan_in + fan_out));
        detail::fill(layer.weight.span(), [&] { return rng.normal(0.0, stddev); });
    });
}

}  // namespace ctnn::init
