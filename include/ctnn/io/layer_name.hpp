#pragma once
// How ctnn::io spells layer types, all from the layer protocol (core/layer.hpp): in messages
// ("ctnn::Linear<256,256> at position 2"), in the "ctnn.signature" a saved file carries
// ("Linear<784,256>,ReLU,Linear<256,10>"), which loading compares so that weights never land
// silently in a model with other activations, and in "ctnn.torch", the PyTorch modules a tool
// can rebuild the model from. ctnn's own layers are written without "ctnn::"; a user's layer
// keeps its namespace.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include "../core/layer.hpp"

namespace ctnn::io {

/// L's name in files and messages: its C++ spelling, less a leading "ctnn::" (core/layer.hpp).
using ctnn::layer_name;

/// The layer names of a Seq type, by position.
template <class Net>
std::array<std::string, Net::depth> layer_names() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<std::string, Net::depth>{layer_name<typename Net::template layer_type<I>>()...};
    }(std::make_index_sequence<Net::depth>{});
}

/// The layers' C++ spellings, by position: "ctnn::Linear<17,5>", "user::Scale<4>".
template <class Net>
std::array<std::string, Net::depth> layer_cpp_names() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<std::string, Net::depth>{Net::template layer_type<I>::cpp_name()...};
    }(std::make_index_sequence<Net::depth>{});
}

/// "ctnn::Linear<17,5> at position 2", for messages.
template <class Net>
std::string layer_at(std::size_t position) {
    return layer_cpp_names<Net>()[position] + " at position " + std::to_string(position);
}

/// The Input<...> marker a Seq's declaration starts with, as written ("ctnn::Input<1,28,28>"), or "".
template <class Net>
std::string input_cpp_name() {
    if constexpr (requires { Net::input_cpp_name(); }) return Net::input_cpp_name();
    else return {};
}

/// The layer list of a Seq type, as saved in "ctnn.signature": "Linear<13,17>,Tanh,Linear<17,5>",
/// after the Input marker if it has one: "Input<1,28,28>,Conv2D<1,6,5>,...".
template <class Net>
std::string signature() {
    std::string s = input_cpp_name<Net>();
    constexpr std::string_view own = "ctnn::";
    if (s.compare(0, own.size(), own) == 0) s.erase(0, own.size());
    for (const auto& name : layer_names<Net>()) s += (s.empty() ? "" : ",") + name;
    return s;
}

/// "ctnn::Seq<Linear<13,17>,Tanh,Linear<17,5>>", for messages.
template <class Net>
std::string model_name() {
    return "ctnn::Seq<" + signature<Net>() + ">";
}

/// The PyTorch modules of the layers, as saved in "ctnn.torch":
/// "nn.Linear(13, 17);nn.Tanh();nn.Linear(17, 5)" (empty entries for layers that declare none).
template <class Net>
std::string torch_modules() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        std::string s;
        ((s += (I ? ";" : "") + torch_module<typename Net::template layer_type<I>>()), ...);
        return s;
    }(std::make_index_sequence<Net::depth>{});
}

}  // namespace ctnn::io
