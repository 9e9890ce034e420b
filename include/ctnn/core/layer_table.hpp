#pragma once
// The one compile-time fold over a Seq's layer list. It yields a constexpr table (each layer's
// input and output shape, parameter offset, which layers run fused into the one before them,
// where training keeps outputs and gradients, which buffer inference writes) and the first
// problem with the declaration, if any. Everything else in ctnn indexes this table; nothing
// re-derives shapes.
#include <array>
#include <cstddef>
#include "aligned_buffer.hpp"
#include "errors.hpp"
#include "layer.hpp"
#include "shape.hpp"
#include "type_at.hpp"

namespace ctnn::detail {

struct LayerEntry {
    Shape in, out;
    std::size_t param_offset = 0;  // floats into the model's parameter block (64-byte aligned)
    std::size_t param_size = 0;    // floats the layer owns there, padding included
    // A step computes one layer, or a layer and the element-wise layer fused into its output pass.
    bool fused = false;            // computed as the epilogue of the layer before
    std::size_t step_end = 0;      // the last position computed by the step that starts here
    // Training: only the output of a step is kept (a fused pair stores one buffer).
    bool stored = false;
    std::size_t act_offset = 0;    // floats per sample into a workspace's activation area, if stored
    // Backward, per step: which of the workspace's two gradient buffers holds the gradient at
    // the step's output (-1: the caller's dy), which takes the fused activation's gradient, and
    // which receives the input gradient.
    int grad_at_output = -1, grad_before_epilogue = 0, grad_at_input = 0;
    // Inference: which of two ping-pong buffers receives the step's output.
    std::size_t slot = 0;
    // The input the layer needs, given `in` (its input_shape or expected_input; else `in`).
    Shape needs{};
    std::size_t scratch = 0;  // floats of working memory a call needs (core/layer.hpp)
    // Training: what a layer that trains differently keeps from its forward (BatchNorm's batch
    // statistics; a Residual's inner outputs), in the workspace's state area: `state` floats per
    // call and `sample_state` more per batch row. The layer's area starts at state_offset +
    // max_batch x sample_state_offset (its per-row part right after its per-call part).
    std::size_t state_offset = 0, state = 0;
    std::size_t sample_state_offset = 0, sample_state = 0;
};

enum class Problem {
    none, empty, not_a_layer, bad_declaration, unsized_start, zero_size, mismatch, shape_mismatch, input_not_accepted
};

/// False for a layer whose own parameters do not fit together (it then names its error type).
template <class L>
constexpr bool declaration_ok() {
    if constexpr (requires { L::declaration_ok; }) return L::declaration_ok;
    else return true;
}

struct Diagnosis {
    Problem problem = Problem::none;
    std::size_t position = 0;
};

/// A Seq's type list seen as layers: an Input<...> marker in front, if any, only gives the input
/// shape; `at<I>` is the layer at position I and `depth` counts layers.
template <Shape In, class... L>
struct LayerList {
    static constexpr bool marked = In.rank != 0;
    static constexpr Shape input = In;
    static constexpr std::size_t depth = sizeof...(L);
    template <std::size_t I>
    using at = type_at<I, L...>;
    template <class F>
    static constexpr auto apply(F&& f) {
        return f.template operator()<L...>();
    }
};
template <class... L>
struct SeqLayers : LayerList<Shape{}, L...> {};
template <class First, class... L>
    requires is_input_marker<First>
struct SeqLayers<First, L...> : LayerList<First::shape, L...> {};

/// The table of layers L... fed an input of shape `start` (rank 0: the first layer's own).
template <class... L>
constexpr std::array<LayerEntry, sizeof...(L)> make_table_from(Shape start) {
    std::array<LayerEntry, sizeof...(L)> t{};
    if constexpr ((Layer<L> && ...) && sizeof...(L) > 0) {
        constexpr std::size_t n = sizeof...(L);
        constexpr bool epilogue[] = {is_epilogue<L>..., false};
        constexpr bool accepts[] = {accepts_epilogue<L>..., false};
        Shape s = start;
        std::size_t i = 0, params = 0, executed = 0, states = 0, sample_states = 0;
        auto step = [&]<class Layer>() {
            LayerEntry& e = t[i];
            // A layer of fixed input takes that shape; Input<...> in front of it must agree.
            if constexpr (has_input_shape<Layer>) e.in = i == 0 && start.rank == 0 ? Layer::input_shape : s;
            else e.in = s;
            if constexpr (has_input_shape<Layer>) e.needs = Layer::input_shape;
            else if constexpr (requires { Layer::expected_input(e.in); }) e.needs = Layer::expected_input(e.in);
            else e.needs = e.in;
            if constexpr (has_input_shape<Layer>)  // a wrong input is reported; the rest stays consistent
                if (!(e.in == e.needs)) e.in = e.needs;
            e.out = Layer::output_shape(e.in);
            e.scratch = ctnn::scratch_size<Layer>(e.in);
            e.state = ctnn::train_state_size<Layer>(e.in);
            e.state_offset = states;
            states += round_up(e.state, floats_per_alignment);
            e.sample_state = ctnn::train_state_per_sample<Layer>(e.in);
            e.sample_state_offset = sample_states;
            sample_states += round_up(e.sample_state, floats_per_alignment);
            e.param_offset = params;
            e.param_size = block_floats(Layer::tensors);
            params += e.param_size;
            e.fused = i > 0 && epilogue[i] && accepts[i - 1] && !t[i - 1].fused;
            e.slot = e.fused ? t[i - 1].slot : executed++ % 2;
            s = e.out;
            ++i;
        };
        (step.template operator()<L>(), ...);

        std::size_t acts = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const bool next_fused = k + 1 < n && t[k + 1].fused;
            t[k].step_end = next_fused ? k + 1 : k;
            t[k].stored = !next_fused;
            if (t[k].stored) {
                t[k].act_offset = acts;
                acts += round_up(t[k].out.size(), floats_per_alignment);
            }
        }
        int grad = -1;  // the caller's dy
        for (std::size_t k = n; k-- > 0;) {
            LayerEntry& e = t[k];
            if (e.fused) continue;
            e.grad_at_output = grad;
            // The fused activation's gradient goes in place, unless it would overwrite dy.
            e.grad_before_epilogue = e.step_end != k && grad < 0 ? 0 : grad;
            e.grad_at_input = e.grad_before_epilogue == 0 ? 1 : 0;
            grad = e.grad_at_input;
        }
    }
    return t;
}

template <class... L>
constexpr auto make_layer_table() {
    using S = SeqLayers<L...>;
    return S::apply([]<class... Ls>() { return make_table_from<Ls...>(S::input); });
}

/// Sizes that follow from a table: per-sample floats of the workspaces and scratch buffers.
template <std::size_t N>
struct TableSizes {
    std::size_t parameter_block = 0;  // floats in the parameter block, padding included
    std::size_t activations = 0;      // training: the stored step outputs of one sample
    std::size_t gradient_width = 0;   // training: the widest layer output (each gradient buffer)
    std::size_t inference_width = 0;  // inference: the widest output a ping-pong buffer holds
    std::size_t layer_scratch = 0;    // the most working memory one layer call needs (not per sample)
    std::size_t train_state = 0;      // training: every layer's kept state per call
    std::size_t train_state_per_sample = 0;  // ... and per batch row

    constexpr explicit TableSizes(const std::array<LayerEntry, N>& t) {
        for (std::size_t k = 0; k < N; ++k) {
            const std::size_t width = round_up(t[k].out.size(), floats_per_alignment);
            parameter_block = t[k].param_offset + t[k].param_size;
            train_state = t[k].state_offset + round_up(t[k].state, floats_per_alignment);
            train_state_per_sample = t[k].sample_state_offset + round_up(t[k].sample_state, floats_per_alignment);
            if (t[k].stored) activations = t[k].act_offset + width;
            if (width > gradient_width) gradient_width = width;
            // The last step writes the caller's output, not a buffer.
            if (t[k].step_end != N - 1 && width > inference_width) inference_width = width;
            if (round_up(t[k].scratch, floats_per_alignment) > layer_scratch)
                layer_scratch = round_up(t[k].scratch, floats_per_alignment);
        }
    }
};

template <class... L>
constexpr Diagnosis diagnose() {
    using S = SeqLayers<L...>;
    if constexpr (S::depth == 0) {
        return {Problem::empty, 0};
    } else {
        return S::apply([]<class... Ls>() -> Diagnosis {
            constexpr bool is_layer[] = {Layer<Ls>...};
            for (std::size_t i = 0; i < sizeof...(Ls); ++i)
                if (!is_layer[i]) return {Problem::not_a_layer, i};
            if constexpr ((Layer<Ls> && ...)) {
                constexpr bool ok[] = {declaration_ok<Ls>()...};
                for (std::size_t i = 0; i < sizeof...(Ls); ++i)
                    if (!ok[i]) return {Problem::bad_declaration, i};
                constexpr bool sized[] = {has_input_shape<Ls>...};
                if (!S::marked && !sized[0]) return {Problem::unsized_start, 0};
                constexpr auto t = make_table_from<Ls...>(S::input);
                for (std::size_t i = 0; i < t.size(); ++i) {
                    const Shape given = i == 0 ? (S::marked ? S::input : t[0].in) : t[i - 1].out;
                    if (i > 0 && sized[i] && given.size() != t[i].needs.size()) return {Problem::mismatch, i};
                    if (i > 0 && sized[i] && !(given == t[i].needs)) return {Problem::shape_mismatch, i};
                    if (!(given == t[i].needs)) return {Problem::input_not_accepted, i};
                    if (t[i].in.size() == 0 || t[i].out.size() == 0) return {Problem::zero_size, i};
                }
            }
            return {Problem::none, 0};
        });
    }
}

/// The shape layer I of a Seq is given (the Input's, or the output of the layer before).
template <std::size_t I, class... L>
constexpr Shape given_shape() {
    using S = SeqLayers<L...>;
    constexpr auto t = make_layer_table<L...>();
    if constexpr (I == 0) return S::marked ? S::input : t[0].in;
    else return t[I - 1].out;
}

/// The error type describing the first problem (or nothing). Seq derives from it, so a bad
/// declaration instantiates exactly one error and the rest of Seq, which depends only on the
/// diagnosis, stays well-formed: one message, not a cascade.
template <class SeqType, Problem P, std::size_t Position, class... L>
struct Report {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::empty, Position, L...> : error::SEQ_HAS_NO_LAYERS<SeqType> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::not_a_layer, Position, L...>
    : error::NOT_A_LAYER<Position, typename SeqLayers<L...>::template at<Position>> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::bad_declaration, Position, L...>
    : SeqLayers<L...>::template at<Position>::declaration_error {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::unsized_start, Position, L...>
    : error::SEQ_MUST_START_WITH_A_SIZED_LAYER<typename SeqLayers<L...>::template at<0>> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::zero_size, Position, L...>
    : error::LAYER_SIZE_IS_ZERO<Position, typename SeqLayers<L...>::template at<Position>,
                                make_layer_table<L...>()[Position].in.size(),
                                make_layer_table<L...>()[Position].out.size()> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::mismatch, Position, L...>
    : error::LAYER_SIZES_DO_NOT_MATCH<Position - 1, typename SeqLayers<L...>::template at<Position - 1>,
                                      make_layer_table<L...>()[Position - 1].out.size(), Position,
                                      typename SeqLayers<L...>::template at<Position>,
                                      make_layer_table<L...>()[Position].in.size()> {};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::shape_mismatch, Position, L...>
    : error::LAYER_SHAPES_DO_NOT_MATCH<
          Position - 1, typename SeqLayers<L...>::template at<Position - 1>, given_shape<Position, L...>().dims[0],
          given_shape<Position, L...>().dims[1], given_shape<Position, L...>().dims[2], Position,
          typename SeqLayers<L...>::template at<Position>, make_layer_table<L...>()[Position].needs.dims[0],
          make_layer_table<L...>()[Position].needs.dims[1], make_layer_table<L...>()[Position].needs.dims[2]> {};

template <class SeqType, std::size_t Position, class... L>
struct InputNotAccepted {
    using type = error::LAYER_INPUT_NOT_ACCEPTED<
        Position, typename SeqLayers<L...>::template at<Position>, given_shape<Position, L...>().dims[0],
        given_shape<Position, L...>().dims[1], given_shape<Position, L...>().dims[2],
        make_layer_table<L...>()[Position].needs.dims[0], make_layer_table<L...>()[Position].needs.dims[1],
        make_layer_table<L...>()[Position].needs.dims[2]>;
};
template <std::size_t Position, class... L>
using layer_at = typename SeqLayers<L...>::template at<Position>;
/// A layer made of layers (Residual) says itself what is wrong inside it: `input_error<In>`.
template <class SeqType, std::size_t Position, class... L>
    requires requires { typename layer_at<Position, L...>::template input_error<given_shape<Position, L...>()>; }
struct InputNotAccepted<SeqType, Position, L...> {
    using type = typename layer_at<Position, L...>::template input_error<given_shape<Position, L...>()>;
};

template <class SeqType, std::size_t Position, class... L>
struct Report<SeqType, Problem::input_not_accepted, Position, L...>
    : InputNotAccepted<SeqType, Position, L...>::type {};

}  // namespace ctnn::detail
