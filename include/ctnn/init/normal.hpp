#pragma once
// Weights drawn from N(mean, std^2), as torch.nn.init.normal_ applied to each weight of a freshly
// built network; biases keep PyTorch's default (the study note's recipe).
#include "for_each_linear.hpp"
#include "pytorch_default.hpp"
#include "../util/rng.hpp"

namespace ctnn::init {

template <class Net>
void normal(Net& net, Rng& rng, double mean = 0.0, double stddev = 1.0) {
    pytorch_default_bias(net, rng);
    detail::for_each_weighted_layer(net, [&](auto layer, std::size_t, std::size_t) {
        detail::fill(layer.weight.span(), [&] { return rng.normal(mean, stddev); });
    });
}

}  // namespace ctnn::init
