#pragma once
// Visits every layer that has a weight matrix and a bias, with its fan-in and fan-out: the
// initialisers are written once against this, not once per layer type.
#include <cstddef>
#include <utility>

namespace ctnn::init::detail {

template <class Net, class F>
void for_each_weighted_layer(Net& net, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using L = typename Net::template layer_type<I>;
                if constexpr (requires { L::in_features; L::out_features; })
                    f(net.template layer<I>(), L::in_features, L::out_features);
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});
}

template <class Span, class Draw>
void fill(Span s, Draw&& draw) {
    for (auto& v : s) v = float(draw());
}

}  // namespace ctnn::init::detail
