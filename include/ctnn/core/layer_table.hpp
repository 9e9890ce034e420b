#pragma once
// The one compile-time fold over a Seq's layer list. It yields a constexpr table (each layer's
// input and output shape, parameter offset, workspace offset, and whether it runs fused into the
// layer before it) and the first problem with the declaration, if any. Everything else in ctnn
// indexes this table; nothing re-derives shapes.
#include <array>
#include <cstddef>
#include "aligned_buffer.hpp"
#include "errors.hpp"
#include "shape.hpp"
#include "type_at.hpp"

namespace ctnn::detail {

struct LayerEntry {
    Shape in, out;
    std::size_t param_offset = 0;  // floats into the model's parameter block (64-byte aligned)
    std::size_t param_size = 0;    // floats the layer owns there, padding included
    std::size_t act_offset = 0;    // floats per sample into a workspace's activation area
    bool fused = false;            // elementwise layer computed as the epilogue of the layer before
    std::size_t slot = 0;          // which of two ping-pong buffers holds its output in inference
};

enum class Problem { none, empty, unsized_start, zero_size, mismatch };

struct Diagnosis {
    Problem problem = Problem::none;
    std::size_t position = 0;
};

template <class... L>
constexpr std::array<LayerEntry, sizeof...(L)> make_layer_table() {
    std::array<LayerEntry, sizeof...(L)> t{};
    constexpr bool elementwise[] = {L::is_elementwise..., false};
    constexpr bool takes_epilogue[] = {L::takes_epilogue..., false};
    Shape s{};
    std::size_t i = 0, params = 0, acts = 0, executed = 0;
    auto step = [&]<class Layer>() {
        LayerEntry& e = t[i];
        e.in = Layer::has_input_shape ? Layer::input_shape : s;
        e.out = Layer::output_shape(e.in);
        e.param_offset = params;
        e.param_size = round_up(Layer::param_count, floats_per_alignment);
        params += e.param_size;
        e.act_offset = acts;
        acts += round_up(e.out.size(), floats_per_alignment);
        e.fused = i > 0 && elementwise[i] && takes_epilogue[i - 1] && !t[i - 1].fused;
        // A fused pair is one step of inference: both share the slot that step writes.
        e.slot = e.fused ? t[i - 1].slot : executed++ % 2;
        s = e.out;
        ++i;
    };
    (step.template operator()<L>(), ...);
    return t;
}

template <class... L>
constexpr Diagnosis diagnose() {
    if constexpr (sizeof...(L) == 0) {
        return {Problem::empty, 0};
    } else {
        constexpr bool sized[] = {L::has_input_shape...};
        if (!sized[0]) return {Problem::unsized_start, 0};
        constexpr auto t = make_layer_table<L...>();
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (t[i].in.size() == 0 || t[i].out.size() == 0) return {Problem::zero_size, i};
            if (i > 0 && !(t[i].in == t[i - 1].out)) return {Problem::mismatch, i};
        }
        return {Problem::none, 0};
    }
}

/// The error type describing the first problem (or nothing). Seq derives from it, so a bad
/// declaration instantiates exactly one error and the rest of Seq, which depends only on the
/// diagnosis, stays well-formed: one message, not a cascade.
template <class SeqType, Problem P, std::size_t Position, class... L>
struct Report {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::empty, Position, L...> : error::SEQ_HAS_NO_LAYERS<SeqType> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::unsized_start, Position, L...>
    : error::SEQ_MUST_START_WITH_A_SIZED_LAYER<type_at<0, L...>> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::zero_size, Position, L...>
    : error::LAYER_SIZE_IS_ZERO<Position, type_at<Position, L...>, make_layer_table<L...>()[Position].in.size(),
                                make_layer_table<L...>()[Position].out.size()> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::mismatch, Position, L...>
    : error::LAYER_SIZES_DO_NOT_MATCH<Position - 1, type_at<Position - 1, L...>,
                                      make_layer_table<L...>()[Position - 1].out.size(), Position,
                                      type_at<Position, L...>, make_layer_table<L...>()[Position].in.size()> {};

}  // namespace ctnn::detail
