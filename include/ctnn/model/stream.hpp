#pragma once
// Stream<Net>: a sequence model run one time step at a time, as a real-time audio callback or a
// control loop needs it. The stream holds what the model must remember between steps (each
// Conv1D's last (K - 1) x dilation inputs), sized by the type, in the object itself: no heap, so
// one Stream per voice or channel, any number of them over one const model.
//
//   using Net = ctnn::Seq<ctnn::Input<1, 64>, ctnn::Conv1D<1, 8, 3>, ctnn::Tanh,
//                         ctnn::Conv1D<8, 8, 3, ctnn::Dilation<2>>, ctnn::Tanh, ctnn::Conv1D<8, 1, 1>>;
//   ctnn::Stream<Net> voice;                      // zeros: as if the input had been silent
//   voice.step(net, x, y);                        // one step: x {1 channel} -> y {1 channel}
//   voice.process(net, xs, ys);                   // T steps, time-major: the same as T step calls
//   voice.reset();
//
// A step is causal: the output at step t is what Net computes on the inputs up to t, the earlier
// ones it reaches back to kept by the stream (zeros after reset()). The time length in Net's
// Input<C, T> plays no part: a stream runs for ever. Layers: Conv1D without stride or padding,
// and per-step layers (activations, PReLU, BatchNorm1d with its running statistics, Dropout as
// the identity); anything else is the compile error LAYER_CANNOT_STREAM naming it.
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include "../core/check.hpp"
#include "../core/errors.hpp"
#include "../core/layer.hpp"
#include "../kernels/arch.hpp"
#include "seq.hpp"

namespace ctnn {

namespace detail {
/// Whether a stream can run layer L on input shape In: it steps itself (Conv1D), or it acts on
/// each time step alone.
template <class L, Shape In>
constexpr bool streams() {
    if constexpr (requires(const float* p, const float* x, float* y, float* h) {
                      L::template stream_step<In, kernels::default_arch>(p, x, y, h);
                  })
        return true;
    else if constexpr (requires { L::per_time_step; }) return L::per_time_step;
    else return is_epilogue<L>;
}

/// Floats of state a stream keeps for layer L at position I of Net (0 for a per-step layer).
template <class Net, class L, std::size_t I>
constexpr std::size_t stream_state_of() {
    if constexpr (requires { L::stream_state_size(Shape{}); }) return L::stream_state_size(Shape{Net::table[I].in.dims[0]});
    else return 0;
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
                ((s = std::max(s, ctnn::scratch_size<typename Net::template layer_type<I>>(Shape{Net::table[I].in.dims[0]}))),
                 ...);
            }(std::make_index_sequence<Net::depth>{});
        return s;
    }();

};

template <class Net, class Plan = StreamPlan<Net>, bool Sequence = Plan::sequence, bool Valid = Plan::valid>
struct StreamReport {};
template <class Net, class Plan>
struct StreamReport<Net, Plan, false, false> : error::STREAM_NEEDS_A_SEQUENCE_MODEL<Net> {};
template <class Net, class Plan>
struct StreamReport<Net, Plan, true, false>
    : error::LAYER_CANNOT_STREAM<Plan::blocked, typename Net::template layer_type<Plan::blocked>> {};
}  // namespace detail

template <class Net>
class Stream : detail::StreamReport<Net> {
    using Plan = detail::StreamPlan<Net>;

public:
    static constexpr std::size_t in_channels = Net::input_shape.dims[0];
    static constexpr std::size_t out_channels = Net::output_shape.dims[0];
    /// Floats of state: every Conv1D's kept inputs.
    static constexpr std::size_t state_size = Plan::state_offsets[Net::depth];

    /// Zeros: as if the input had been silent before the first step.
    void reset() noexcept { state_.fill(0.0f); }

    /// One time step through `model` (the Seq, or a ModelView of its parameters): x holds the
    /// step's in_channels values, y receives out_channels.
    template <class Model>
    void step(const Model& model, std::span<const float, in_channels> x, std::span<float, out_channels> y) noexcept {
        if constexpr (Plan::valid) run(model.parameters(), x.data(), y.data());
    }

    /// Steps through a whole sequence, time-major (step t's channels at xs[t * in_channels]):
    /// the same results, bit for bit, as one step call per time step.
    template <class Model>
    void process(const Model& model, std::span<const float> xs, std::span<float> ys,
                 Caller caller = Caller::current()) noexcept {
        const std::size_t steps = xs.size() / in_channels;
        CTNN_REQUIRE(xs.size() == steps * in_channels && ys.size() == steps * out_channels, caller,
                     "Stream::process: %zu input floats are not whole steps of %zu channels, or the %zu outputs are "
                     "not %zu steps of %zu",
                     xs.size(), in_channels, ys.size(), steps, out_channels);
        if constexpr (Plan::valid)
            for (std::size_t t = 0; t < steps; ++t)
                run(model.parameters(), xs.data() + t * in_channels, ys.data() + t * out_channels);
    }

private:
    // Layer by layer through two small buffers on the stack; an activation the table fused into
    // the Conv1D before it runs as that step's epilogue, in registers.
    void run(const float* params, const float* x, float* y) noexcept {
        std::array<float, Plan::width> buffers[2];
        std::array<float, Plan::scratch + 1> scratch;
        const float* from = x;
        std::size_t next = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    constexpr detail::LayerEntry e = Net::table[I];
                    if constexpr (!e.fused) {
                        using L = typename Net::template layer_type<I>;
                        constexpr Shape in{e.in.dims[0]};
                        float* to = e.step_end + 1 == Net::depth ? y : buffers[next].data();
                        const float* p = params + e.param_offset;
                        if constexpr (requires { L::stream_state_size(in); }) {
                            float* state = state_.data() + Plan::state_offsets[I];
                            if constexpr (e.step_end != I)
                                L::template stream_step<in, kernels::default_arch,
                                                        typename Net::template layer_type<I + 1>::epilogue_op>(
                                    p, from, to, state);
                            else
                                L::template stream_step<in, kernels::default_arch>(p, from, to, state);
                        } else {
                            detail::layer_forward<L, in, kernels::default_arch>(p, from, 1, to, scratch.data());
                        }
                        from = to;
                        next ^= 1;
                    }
                }(),
                ...);
        }(std::make_index_sequence<Net::depth>{});
    }

    std::array<float, state_size> state_{};
};

}  // namespace ctnn
