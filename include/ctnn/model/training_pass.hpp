#pragma once
// The training passes over a list of layers, written once for a Seq and for the layer lists a
// Residual holds. `Net` supplies `table`, `depth` and `layer_type<I>`; `Memory` where the pass
// keeps things: activations(I) (the output rows of the step ending at I), gradient_buffer(k)
// (k = 0, 1), layer_scratch() and train_state(I) (a Workspace, or a Residual's own state).
#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include "../core/layer.hpp"
#include "../core/layer_table.hpp"
#include "inference.hpp"

namespace ctnn::detail {

/// The training forward through every layer: each step's output rows go to m.activations.
template <class Net, class Arch, class Memory>
void train_forward_pass(const float* params, const float* x, std::size_t batch, Memory& m,
                        const TrainingStep& step) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr LayerEntry e = Net::table[I];
                using L = typename Net::template layer_type<I>;
                const float* in = I == 0 ? x : m.activations(I == 0 ? 0 : I - 1);
                if constexpr (has_train_state<L>) {
                    static_assert(e.step_end == I, "a layer with a training state takes no epilogue");
                    layer_train_forward<L, e.in, Arch>(params + e.param_offset, in, batch, m.activations(I),
                                                       m.layer_scratch(), m.train_state(I), step.at_layer(I));
                } else if constexpr (!e.fused) {
                    forward_step<Net, I, Arch>(params, batch, in, m.activations(e.step_end), m.layer_scratch());
                }
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});
}

/// The step starting at I, backwards: the fused activation's gradient first (in the buffer the
/// table names), then the layer's own; which buffer holds what is fixed at compile time.
template <class Net, std::size_t I, class Arch, class Memory>
void backward_step(const float* params, const float* x, const float* dy, std::size_t batch, Memory& m, float* grads,
                   float* dx_out) noexcept {
    constexpr LayerEntry e = Net::table[I];
    if constexpr (!e.fused) {
        using L = typename Net::template layer_type<I>;
        const float* g = e.grad_at_output < 0 ? dy : m.gradient_buffer(e.grad_at_output);
        if constexpr (e.step_end != I) {
            float* dz = m.gradient_buffer(e.grad_before_epilogue);
            layer_backward<typename Net::template layer_type<I + 1>, Net::table[I + 1].in, Arch>(
                nullptr, nullptr, m.activations(I + 1), g, batch, dz, nullptr, m.layer_scratch(), nullptr);
            g = dz;
        }
        float* dx = I == 0 ? dx_out : m.gradient_buffer(e.grad_at_input);
        const float* in = I == 0 ? x : m.activations(I == 0 ? 0 : I - 1);
        // A layer's own output is stored only if no epilogue was fused into it.
        const float* y = e.step_end == I ? m.activations(I) : nullptr;
        layer_backward<L, e.in, Arch>(params + e.param_offset, in, y, g, batch, dx, grads + e.param_offset,
                                      m.layer_scratch(), m.train_state(I));
    }
}

/// Backward through the batch the last train_forward_pass saw: adds the parameter gradients to
/// `grads` and writes the input gradient to dx (if not null).
template <class Net, class Arch, class Memory>
void backward_pass(const float* params, const float* x, const float* dy, std::size_t batch, Memory& m, float* grads,
                   float* dx) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (backward_step<Net, Net::depth - 1 - I, Arch>(params, x, dy, batch, m, grads, dx), ...);
    }(std::make_index_sequence<Net::depth>{});
}

/// At most this many shares (threads' workspaces) combine their statistics in one update.
inline constexpr std::size_t max_shares = 64;

/// Every layer's update_buffers, given where share k kept layer I's state: state_of(k, I).
template <class Net, class StateOf>
void update_buffers_pass(float* params, std::size_t shares, StateOf state_of) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using L = typename Net::template layer_type<I>;
                if constexpr (has_buffer_update<L>) {
                    std::array<const float*, max_shares> states{};
                    for (std::size_t k = 0; k < shares; ++k) states[k] = state_of(k, I);
                    L::template update_buffers<Net::table[I].in>(params + Net::table[I].param_offset,
                                                                 std::span<const float* const>(states.data(), shares));
                }
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});
}

}  // namespace ctnn::detail
