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
// Through a StreamModel<Net> (model/stream_model.hpp) instead of the model, recurrent layers step
// faster on AVX2, on hidden weights packed for it.
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
#include "stream_model.hpp"
#include "stream_pass.hpp"

namespace ctnn {

namespace detail {
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

    /// One time step through `model` (the Seq, a ModelView of its parameters, or a StreamModel):
    /// x holds the step's in_channels values, y receives out_channels.
    template <class Model>
    void step(const Model& model, std::span<const float, in_channels> x, std::span<float, out_channels> y) noexcept {
        if constexpr (Plan::valid) run(model, x.data(), y.data());
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
            for (std::size_t t = 0; t < steps; ++t) run(model, xs.data() + t * in_channels, ys.data() + t * out_channels);
    }

private:
    template <class Model>
    void run(const Model& model, const float* x, float* y) noexcept {
        if constexpr (requires { typename Model::network; })
            (void)error::MODEL_IS_ANOTHER_NETWORK<typename Model::network, Net>{};
        if constexpr (requires { model.stream_parameters(); })
            detail::stream_pass<Net, Plan, true>(model.stream_parameters(), x, y, state_.data());
        else detail::stream_pass<Net, Plan>(model.parameters(), x, y, state_.data());
    }

    std::array<float, state_size> state_{};
};

}  // namespace ctnn
