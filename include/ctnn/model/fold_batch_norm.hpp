#pragma once
// fold_batch_norm(net): the same network for inference with every BatchNorm that directly
// follows a convolution or Linear merged into it. At inference a BatchNorm is
// y = x * scale[c] + shift[c] per output channel, so the layer before it computes the same with
// weight rows scaled by scale[c] and bias b[c] * scale[c] + shift[c] (a layer without bias gains
// one): one layer and one pass over the activations fewer.
//
//   using Net = ctnn::Seq<Input<1, 28, 28>, Conv2D<1, 8, 3, NoBias>, BatchNorm2d<8>, ReLU, ...>;
//   const auto fast = ctnn::fold_batch_norm(net);  // ctnn::Seq<Input<1,28,28>, Conv2D<1,8,3>, ReLU, ...>
//
// The result is another type (ctnn::folded_t<Net>), with PyTorch's positions of the folded
// network; save it, export it to a header or run it like any Seq. It is for inference: it has no
// BatchNorm left to train. A BatchNorm after anything else stays.
#include <array>
#include <cstddef>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>
#include "seq.hpp"

namespace ctnn {

namespace detail {

/// Layer A followed by B folds: A can gain a bias and B is a per-channel map of A's outputs.
template <class A, class B>
inline constexpr bool folds_into = [] {
    if constexpr (requires { typename A::with_bias; B::affine_channels; B::inference_affine; })
        return A::tensors[0].dims[0] == B::affine_channels;
    else
        return false;
}();

/// The folded layer list, greedily from the front: (A, B) -> A::with_bias when B folds into A.
template <class Done, class... L>
struct fold_layers {
    using type = Done;
};
template <class... Done, class A, class B, class... L>
    requires folds_into<A, B>
struct fold_layers<std::tuple<Done...>, A, B, L...> : fold_layers<std::tuple<Done..., typename A::with_bias>, L...> {};
template <class... Done, class A, class... L>
struct fold_layers<std::tuple<Done...>, A, L...> : fold_layers<std::tuple<Done..., A>, L...> {};

template <class Layers>
struct seq_of;
template <class... L>
struct seq_of<std::tuple<L...>> {
    using type = Seq<L...>;
};

template <class Net>
struct folded;
template <class... L>
struct folded<Seq<L...>> {
    using type = typename seq_of<typename fold_layers<std::tuple<>, L...>::type>::type;
};
template <class First, class... L>
    requires is_input_marker<First>
struct folded<Seq<First, L...>> {
    using type = typename seq_of<typename fold_layers<std::tuple<First>, L...>::type>::type;
};

}  // namespace detail

/// Net with each BatchNorm that directly follows a convolution or Linear folded into it.
template <class Net>
using folded_t = typename detail::folded<Net>::type;

namespace detail {
/// Where each layer of the folded network comes from: Net's position, and whether the layer
/// after it (a BatchNorm) is merged in. The same greedy rule as fold_layers.
template <class Net, std::size_t FoldedDepth>
constexpr auto fold_plan() {
    const std::array<bool, Net::depth> folds = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<bool, Net::depth>{[] {
            if constexpr (I + 1 < Net::depth)
                return folds_into<typename Net::template layer_type<I>, typename Net::template layer_type<I + 1>>;
            else
                return false;
        }()...};
    }(std::make_index_sequence<Net::depth>{});
    std::array<std::pair<std::size_t, bool>, FoldedDepth> plan{};
    for (std::size_t i = 0, j = 0; i < Net::depth; ++j) {
        plan[j] = {i, folds[i]};
        i += folds[i] ? 2 : 1;
    }
    return plan;
}
}  // namespace detail

/// The folded network, with its parameters computed from `net`'s (running statistics included).
template <class... L>
folded_t<Seq<L...>> fold_batch_norm(const Seq<L...>& net) {
    using Net = Seq<L...>;
    using Folded = folded_t<Net>;
    static constexpr auto plan = detail::fold_plan<Net, Folded::depth>();
    Folded out;
    const float* from = net.parameters();
    float* to = out.parameters();
    [&]<std::size_t... J>(std::index_sequence<J...>) {
        (
            [&] {
                constexpr std::size_t I = plan[J].first;
                float* dst = to + Folded::table[J].param_offset;
                const float* src = from + Net::table[I].param_offset;
                if constexpr (!plan[J].second) {
                    std::memcpy(dst, src, Folded::table[J].param_size * sizeof(float));
                } else {
                    using A = typename Net::template layer_type<I>;
                    using B = typename Net::template layer_type<I + 1>;
                    using To = typename Folded::template layer_type<J>;
                    constexpr std::size_t channels = B::affine_channels, per = A::tensors[0].size() / channels;
                    std::vector<float> scale(channels), shift(channels);
                    B::inference_affine(from + Net::table[I + 1].param_offset, scale.data(), shift.data());
                    const float* w = src + A::tensors[0].offset;
                    float* w2 = dst + To::tensors[0].offset;
                    float* b2 = dst + To::tensors[1].offset;
                    for (std::size_t o = 0; o < channels; ++o) {
                        for (std::size_t k = 0; k < per; ++k) w2[o * per + k] = w[o * per + k] * scale[o];
                        const float b = A::tensors.size() > 1 ? src[A::tensors.back().offset + o] : 0.0f;
                        b2[o] = b * scale[o] + shift[o];
                    }
                }
            }(),
            ...);
    }(std::make_index_sequence<Folded::depth>{});
    return out;
}

}  // namespace ctnn
