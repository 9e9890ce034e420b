#pragma once
// The initialisers are written against the model's tensor table (core/tensor_info.hpp), not
// against layer types: every tensor says its role, its PyTorch shape (hence fan-in and fan-out)
// and its default value, so a new layer is initialised correctly without any change here.
#include <cmath>
#include <cstddef>
#include <span>
#include "../core/tensor_info.hpp"
#include "../util/rng.hpp"

namespace ctnn::init::detail {

/// Calls f(info, values) for every tensor of `net`, in the model's order.
template <class Net, class F>
void for_each_tensor(Net& net, F&& f) {
    for (const auto& t : Net::tensors) f(t.info, std::span<float>(net.parameters() + t.offset, t.info.size()));
}

template <class Draw>
void fill(std::span<float> values, Draw&& draw) {
    for (float& v : values) v = float(draw());
}

/// The value PyTorch's module gives the tensor at construction.
inline void fill_default(const TensorInfo& t, std::span<float> values, Rng& rng) {
    if (t.init.kind == DefaultInit::Kind::constant) {
        for (float& v : values) v = t.init.value;
    } else {
        const double bound = 1.0 / std::sqrt(double(t.init.n));
        fill(values, [&] { return rng.uniform(-bound, bound); });
    }
}

/// Every tensor but the weights at its default, then every weight drawn by `weight(info, values)`:
/// a weight initialiser applied to a freshly built network, in the order ctnn has always drawn.
template <class Net, class WeightScheme>
void defaults_then_weights(Net& net, Rng& rng, WeightScheme&& weight) {
    for_each_tensor(net, [&](const TensorInfo& t, std::span<float> v) {
        if (t.role != TensorRole::weight) fill_default(t, v, rng);
    });
    for_each_tensor(net, [&](const TensorInfo& t, std::span<float> v) {
        if (t.role == TensorRole::weight) weight(t, v);
    });
}

}  // namespace ctnn::init::detail
