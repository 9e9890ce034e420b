#pragma once
// Weights drawn from N(mean, std^2), as torch.nn.init.normal_ applied to each weight of a freshly
// built network; every other tensor keeps PyTorch's default (the study note's recipe).
#include "../util/rng.hpp"
#include "tensors.hpp"

namespace ctnn::init {

template <class Net>
void normal(Net& net, Rng& rng, double mean = 0.0, double stddev = 1.0) {
    detail::defaults_then_weights(net, rng, [&](const TensorInfo&, std::span<float> w) {
        detail::fill(w, [&] { return rng.normal(mean, stddev); });
    });
}

}  // namespace ctnn::init
