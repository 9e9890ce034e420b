#pragma once
// PyTorch's initialisation at construction, tensor by tensor, as each layer declares it: for
// nn.Linear, weights kaiming_uniform_(a = sqrt(5)), which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
// and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
#include "../util/rng.hpp"
#include "tensors.hpp"

namespace ctnn::init {

template <class Net>
void pytorch_default(Net& net, Rng& rng) {
    detail::for_each_tensor(net, [&](const TensorInfo& t, std::span<float> v) { detail::fill_default(t, v, rng); });
}

}  // namespace ctnn::init
