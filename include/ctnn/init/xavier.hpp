#pragma once
// Xavier/Glorot: torch.nn.init.xavier_uniform_ (U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)))
// and xavier_normal_ (std = gain sqrt(2 / (fan_in + fan_out))) on the weights; every other tensor
// keeps PyTorch's default.
#include <cmath>
#include "../util/rng.hpp"
#include "tensors.hpp"

namespace ctnn::init {

template <class Net>
void xavier_uniform(Net& net, Rng& rng, double gain = 1.0) {
    detail::defaults_then_weights(net, rng, [&](const TensorInfo& t, std::span<float> w) {
        const double a = gain * std::sqrt(6.0 / double(t.fan_in() + t.fan_out()));
        detail::fill(w, [&] { return rng.uniform(-a, a); });
    });
}

template <class Net>
void xavier_normal(Net& net, Rng& rng, double gain = 1.0) {
    detail::defaults_then_weights(net, rng, [&](const TensorInfo& t, std::span<float> w) {
        const double stddev = gain * std::sqrt(2.0 / double(t.fan_in() + t.fan_out()));
        detail::fill(w, [&] { return rng.normal(0.0, stddev); });
    });
}

}  // namespace ctnn::init
