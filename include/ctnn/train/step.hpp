#pragma once
// One training step, written once: every training loop in ctnn (Trainer, DataParallel's
// threads) and every example runs its batches through these two functions.
//
//   loss_and_gradients   forward, loss (value and gradient at the output), backward: ADDS the
//                        batch's parameter gradients to buffers.gradients
//   step                 zero the gradients, loss_and_gradients, optimizer step, and the running
//                        statistics' update (BatchNorm's; nothing for other models)
//   step_if_finite       the same, the updates only if the loss and gradients are finite
//
// The batch size is the number of targets over the loss's targets per sample; the inputs must
// hold that many rows. Neither allocates: StepBuffers holds the memory, sized once.
#include <cmath>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/parameter_block.hpp"
#include "../core/workspace.hpp"
#include "../kernels/statistics.hpp"
#include "../loss/loss.hpp"
#include "../optim/optimizer.hpp"

namespace ctnn {
namespace detail {
/// Any contiguous range (std::vector, std::array, span) as a span of const elements.
template <class Range>
auto const_span(const Range& range) noexcept {
    using T = std::remove_cv_t<std::remove_reference_t<decltype(*std::data(range))>>;
    return std::span<const T>(std::data(range), std::size(range));
}
}  // namespace detail

namespace train {

/// The memory of a training step for batches of up to max_batch: the workspace of the forward
/// pass, the gradients, and the loss gradient at the network's output.
template <class Net>
struct StepBuffers {
    explicit StepBuffers(std::size_t max_batch) : workspace(max_batch), output_gradient(max_batch * Net::out_size) {}
    std::size_t max_batch() const noexcept { return workspace.max_batch(); }

    Workspace<Net> workspace;
    Gradients<Net> gradients;
    AlignedBuffer output_gradient;
};

/// Where the outputs of a batch's layers are after its step: `rows` samples in `workspace`
/// (workspace.activations(position)), in one part, or one part per thread with DataParallel.
template <class Net>
struct StepOutputs {
    const Workspace<Net>* workspace;
    std::size_t rows;
};

/// Forward, loss and backward for one batch: returns the loss's value, adds
/// d(value)/d(parameters) to buffers.gradients. `mean_over` (0: this batch's size) is the
/// number of samples the loss is averaged over: a thread's share of a batch passes the whole
/// batch, so the shares' values and gradients add up to the batch's.
template <class Net, class Loss, class Targets>
    requires loss::LossFor<Loss, Net::out_size, typename decltype(detail::const_span(std::declval<const Targets&>()))::value_type>
float loss_and_gradients(const Net& net, const Loss& loss, std::span<const float> inputs, const Targets& targets,
                         StepBuffers<Net>& buffers, std::size_t mean_over = 0,
                         Caller caller = Caller::current()) noexcept {
    const auto t = detail::const_span(targets);
    constexpr std::size_t per_sample = Loss::targets_per_sample(Net::out_size);
    const std::size_t batch = t.size() / per_sample;
    CTNN_REQUIRE(t.size() == batch * per_sample, caller,
                 "train step: %zu targets, not a whole number of samples of %zu targets each", t.size(), per_sample);
    CTNN_REQUIRE(inputs.size() == batch * Net::in_size, caller,
                 "train step: %zu samples of targets need %zu input floats (n x Net::in_size %zu), but there are %zu",
                 batch, batch * Net::in_size, Net::in_size, inputs.size());
    CTNN_REQUIRE(batch <= buffers.max_batch(), caller, "train step: a batch of %zu samples, but the StepBuffers hold at most %zu",
                 batch, buffers.max_batch());
    const auto outputs = net.train_forward(inputs, buffers.workspace, caller);
    const std::span<float> output_gradient{buffers.output_gradient.data(), batch * Net::out_size};
    const float value = loss.template value_and_gradient<Net::out_size>(outputs, t, output_gradient, mean_over);
    net.backward(inputs, output_gradient, buffers.workspace, buffers.gradients, {}, caller);
    return value;
}

/// One training step on one batch: zero the gradients, loss_and_gradients, optimizer.step.
/// Returns the batch's loss (before the update).
template <class Net, class Optimizer, class Loss, class Targets>
    requires optim::Optimizer<Optimizer, Net>
float step(Net& net, Optimizer& optimizer, const Loss& loss, std::span<const float> inputs, const Targets& targets,
           StepBuffers<Net>& buffers, Caller caller = Caller::current()) noexcept {
    buffers.gradients.zero();
    const float value = train::loss_and_gradients(net, loss, inputs, targets, buffers, 0, caller);
    optimizer.step(net, buffers.gradients);
    net.update_running_statistics(buffers.workspace);
    return value;
}

/// step that applies the update only if the loss and every gradient are finite: returns the
/// loss and whether the update was applied; buffers.gradients holds the batch's gradients
/// either way. The check is one pass over the gradients.
template <class Net, class Optimizer, class Loss, class Targets>
    requires optim::Optimizer<Optimizer, Net>
std::pair<float, bool> step_if_finite(Net& net, Optimizer& optimizer, const Loss& loss, std::span<const float> inputs,
                                      const Targets& targets, StepBuffers<Net>& buffers,
                                      Caller caller = Caller::current()) noexcept {
    buffers.gradients.zero();
    const float value = train::loss_and_gradients(net, loss, inputs, targets, buffers, 0, caller);
    const bool finite = std::isfinite(value) && kernels::all_finite(buffers.gradients.data(), Net::parameter_block_size);
    if (finite) {
        optimizer.step(net, buffers.gradients);
        net.update_running_statistics(buffers.workspace);
    }
    return {value, finite};
}

}  // namespace train
}  // namespace ctnn
