#pragma once
// StreamModel<Net>: a sequence model's parameters laid out for streaming. The recurrent layers'
// hidden weights (W_hh) are packed by columns where that makes a step faster
// (kernels::packs_hidden: AVX2 with FMA, 8 to 64 units); everything else is the model's block as
// it is. A Stream steps through it as through the model itself, faster where it packs (Zen 3: a
// GRU of 16 / 32 / 64 units 18 / 8 / 3%, an LSTM of 8 / 16 / 32 / 64 9 / 13 / 7 / 1%), and then
// gives bit for bit what the model's whole-sequence forward gives for sequences of 32 steps and
// more, which pack the same way.
//
//   ctnn::StreamModel<Net> prepared(net);   // a copy, made once (it allocates its block)
//   ctnn::Stream<Net> voice;
//   voice.step(prepared, x, y);             // as voice.step(net, x, y)
//
// Read-only once made: one StreamModel serves any number of voices on any threads. It is a copy:
// after the model changes (training, loading), update(model) copies it again. It is not a model
// for forward() or a ModelView: its block is not in the model's layout.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/errors.hpp"
#include "stream_pass.hpp"

namespace ctnn {

template <class Net>
class StreamModel {
public:
    using network = Net;

    /// A copy of `model`'s parameters (a Seq of Net, or a ModelView of it), packed for streaming.
    template <class Model>
        requires requires(const Model& m) { { m.parameters() } -> std::convertible_to<const float*>; }
    explicit StreamModel(const Model& model) : block_(Net::parameter_block_size) {
        update(model);
    }

    /// Copies and packs `model`'s parameters again (after training or loading them).
    template <class Model>
        requires requires(const Model& m) { { m.parameters() } -> std::convertible_to<const float*>; }
    void update(const Model& model) noexcept {
        if constexpr (requires { typename Model::network; })
            (void)error::MODEL_IS_ANOTHER_NETWORK<typename Model::network, Net>{};
        const float* p = model.parameters();
        std::copy_n(p, Net::parameter_block_size, block_.data());
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (pack_layer<I>(p), ...);
        }(std::make_index_sequence<Net::depth>{});
    }

    /// Whether any layer's hidden weights are packed here (if not, the block is the model's).
    static constexpr bool packs = []<std::size_t... I>(std::index_sequence<I...>) {
        return (detail::packs_for_stream<typename Net::template layer_type<I>>() || ...);
    }(std::make_index_sequence<Net::depth>{});

    /// The block a Stream reads (Net's layout, each packing layer's W_hh packed).
    const float* stream_parameters() const noexcept { return block_.data(); }

private:
    template <std::size_t I>
    void pack_layer(const float* p) noexcept {
        using L = typename Net::template layer_type<I>;
        if constexpr (detail::packs_for_stream<L>()) {
            const std::size_t at = Net::table[I].param_offset;
            L::pack_for_stream(p + at, block_.data() + at);
        }
    }

    AlignedBuffer block_;
};

}  // namespace ctnn
