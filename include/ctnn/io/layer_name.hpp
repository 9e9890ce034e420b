#pragma once
// How ctnn::io spells layer types: in messages ("ctnn::Linear<256,256> at position 2") and in
// the "ctnn.signature" a saved file carries ("Linear<784,256>,ReLU,Linear<256,10>"), which
// loading compares so that weights never land silently in a model with other activations.
// A new layer type gets a specialization of LayerName here or in user code; layers stay free of
// I/O.
#include <array>
#include <cstddef>
#include <numeric>
#include <string>
#include "../core/errors.hpp"
#include "../model/seq.hpp"
#include "../layers/leaky_relu.hpp"
#include "../layers/linear.hpp"
#include "../layers/relu.hpp"
#include "../layers/sigmoid.hpp"
#include "../layers/tanh.hpp"

namespace ctnn::io {

/// LayerName<L>::name(): L's name without "ctnn::". Specialize it for your own layers.
template <class Layer>
struct LayerName {
    static_assert(error::never<Layer>,
                  "ctnn::io::LayerName has no name for this layer type: specialize "
                  "ctnn::io::LayerName<YourLayer> with a static std::string name() (see docs/io.md)");
};

template <std::size_t In, std::size_t Out>
struct LayerName<Linear<In, Out>> {
    static std::string name() { return "Linear<" + std::to_string(In) + "," + std::to_string(Out) + ">"; }
};
template <>
struct LayerName<ReLU> {
    static std::string name() { return "ReLU"; }
};
template <>
struct LayerName<Tanh> {
    static std::string name() { return "Tanh"; }
};
template <>
struct LayerName<Sigmoid> {
    static std::string name() { return "Sigmoid"; }
};
/// The ratio in lowest terms, so LeakyReLUSlope<20,100> and <1,5> (the same slope) share a name;
/// PyTorch's default slope is plain "LeakyReLU".
template <int Numerator, int Denominator>
struct LayerName<LeakyReLUSlope<Numerator, Denominator>> {
    static std::string name() {
        constexpr long long g = std::gcd(static_cast<long long>(Numerator), static_cast<long long>(Denominator));
        constexpr long long sign = Denominator < 0 ? -1 : 1;
        constexpr long long n = sign * Numerator / g, d = sign * Denominator / g;
        if constexpr (n == 1 && d == 100) return "LeakyReLU";
        else return "LeakyReLUSlope<" + std::to_string(n) + "," + std::to_string(d) + ">";
    }
};

namespace detail {
template <class Net>
struct SeqLayers;
template <class... Layers>
struct SeqLayers<Seq<Layers...>> {
    static std::array<std::string, sizeof...(Layers)> names() { return {LayerName<Layers>::name()...}; }
};
}  // namespace detail

/// The layer names of a Seq type, by position.
template <class Net>
std::array<std::string, Net::depth> layer_names() {
    return detail::SeqLayers<Net>::names();
}

/// The layer list of a Seq type, as saved in "ctnn.signature": "Linear<13,17>,Tanh,Linear<17,5>".
template <class Net>
std::string signature() {
    std::string s;
    for (const auto& name : layer_names<Net>()) s += (s.empty() ? "" : ",") + name;
    return s;
}

/// "ctnn::Seq<Linear<13,17>,Tanh,Linear<17,5>>", for messages.
template <class Net>
std::string model_name() {
    return "ctnn::Seq<" + signature<Net>() + ">";
}

}  // namespace ctnn::io
