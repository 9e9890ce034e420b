#pragma once
// One time step through a list of layers, the machinery of Stream<Net> (model/stream.hpp) and of
// a Residual block streamed inside it: which layers can stream, the state each keeps, and the
// pass itself. `Net` supplies `valid`, `input_shape`, `table`, `depth` and `layer_type<I>`.
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include "../core/layer.hpp"
#include "../core/layer_table.hpp"
#include "../kernels/arch.hpp"

namespace ctnn::detail {

template <class L, Shape In>
concept steps_itself = requires(const float* p, const float* x, float* y, float* h) {
    L::template stream_step<In, kernels::default_arch>(p, x, y, h);
};

/// Whether a stream can run layer L on input shape In: it steps itself (Conv1D), or it acts on
/// each time step alone.
template <class L, Shape In>
constexpr bool streams() {
    if constexpr (steps_itself<L, In>) return true;
    else if constexpr (requires { L::per_time_step; }) return L::per_time_step;
    else return is_epilogue<L>;
}

/// Floats of state a stream keeps for layer L at position I of Net (0 for a per-step layer).
template <class Net, class L, std::size_t I>
constexpr std::size_t stream_state_of() {
    if constexpr (requires { L::stream_state_size(Shape{}); }) return L::stream_state_size(Shape{Net::table[I].in.dims[0]});
    else return 0;
}

/// Working memory of a layer a stream runs through its forward, one step at a time.
template <class L, std::size_t Channels>
constexpr std::size_t per_step_scratch() {
    if constexpr (steps_itself<L, Shape{Channels}>) return 0;
    else return ctnn::scratch_size<L>(Shape{Channels});
}

template <class Net>
struct StreamPlan {
    static constexpr bool sequence = Net::valid && Net::input_shape.rank == 2;
    /// The first layer a stream cannot run, or depth.
    static constexpr std::size_t blocked = [] {
        if constexpr (!sequence) {
            return std::size_t{0};
        } else {
            return []<std::size_t... I>(std::index_sequence<I...>) {
                constexpr bool ok[] = {streams<typename Net::template layer_type<I>, Shape{Net::table[I].in.dims[0]}>()...};
                for (std::size_t i = 0; i < sizeof...(I); ++i)
                    if (!ok[i]) return i;
                return sizeof...(I);
            }(std::make_index_sequence<Net::depth>{});
        }
    }();
    static constexpr bool valid = sequence && blocked == Net::depth;
    /// Where each layer's state starts, and the total; the widest step; the most scratch.
    static constexpr auto state_offsets = [] {
        std::array<std::size_t, Net::depth + 1> at{};
        if constexpr (valid)
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                std::size_t k = 0;
                ((at[I] = k, k += stream_state_of<Net, typename Net::template layer_type<I>, I>()), ...);
                at[Net::depth] = k;
            }(std::make_index_sequence<Net::depth>{});
        return at;
    }();
    static constexpr std::size_t width = [] {
        std::size_t w = 1;
        for (const auto& e : Net::table) w = std::max({w, e.in.dims[0], e.out.dims[0]});
        return w;
    }();
    static constexpr std::size_t scratch = [] {
        std::size_t s = 0;
        if constexpr (valid)
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((s = std::max(s, per_step_scratch<typename Net::template layer_type<I>, Net::table[I].in.dims[0]>())), ...);
            }(std::make_index_sequence<Net::depth>{});
        return s;
    }();

};

/// Whether layer L steps on a W_hh packed for streaming (a StreamModel's block).
template <class L>
constexpr bool packs_for_stream() {
    if constexpr (requires { L::packs_for_stream; }) return L::packs_for_stream;
    else return false;
}

/// One time step through Net's layers (a Seq, or a Residual's paths), through two small buffers
/// on the stack; an activation the table fused into the layer before it runs as that step's
/// epilogue, in registers. `state` holds Plan::state_offsets.back() floats. PackedHidden: the
/// block is a StreamModel's, its recurrent layers' W_hh packed (packs_for_stream).
template <class Net, class Plan = StreamPlan<Net>, bool PackedHidden = false>
void stream_pass(const float* params, const float* x, float* y, float* state) noexcept {
    std::array<float, Plan::width> buffers[2];
    std::array<float, Plan::scratch + 1> scratch;
    const float* from = x;
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr LayerEntry e = Net::table[I];
                if constexpr (!e.fused) {
                    using L = typename Net::template layer_type<I>;
                    constexpr Shape in{e.in.dims[0]};
                    float* to = e.step_end + 1 == Net::depth ? y : buffers[next].data();
                    const float* p = params + e.param_offset;
                    if constexpr (requires { L::stream_state_size(in); }) {
                        float* s = state + Plan::state_offsets[I];
                        if constexpr (e.step_end != I)
                            L::template stream_step<in, kernels::default_arch,
                                                    typename Net::template layer_type<I + 1>::epilogue_op>(p, from, to, s);
                        else if constexpr (PackedHidden && packs_for_stream<L>())
                            L::template stream_step<in, kernels::default_arch, true>(p, from, to, s);
                        else
                            L::template stream_step<in, kernels::default_arch>(p, from, to, s);
                    } else {
                        layer_forward<L, in, kernels::default_arch>(p, from, 1, to, scratch.data());
                    }
                    from = to;
                    next ^= 1;
                }
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});
}

}  // namespace ctnn::detail
