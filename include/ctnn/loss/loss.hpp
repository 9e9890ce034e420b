#pragma once
// The loss protocol: what the training loop (train::step, train::Trainer, train::DataParallel)
// asks of a loss object. A loss L for a network of `Outputs` outputs and targets of type `Target`:
//
//   L::targets_per_sample(Outputs)     targets per sample: 1 for a class label, Outputs for an
//                                      element-wise target (MSE, BCE)
//   loss.value_and_gradient<Outputs>(outputs, targets, grad, mean_over)
//                                      outputs: rows of Outputs floats, one row per sample;
//                                      targets: targets_per_sample floats/labels per row.
//                                      Returns the loss summed over the rows and divided by
//                                      `mean_over` samples (0: the rows given), i.e. the batch
//                                      mean; if `grad` is not empty it gets d(that value)/d(outputs).
//                                      noexcept, allocates nothing.
//
// `mean_over` lets a share of a batch (a thread's rows) be scaled by the whole batch, so the
// shares' values and gradients add up to the batch mean. Ready-made: SoftmaxCrossEntropy
// (integer labels of any type), MeanSquaredError and BceWithLogits (float targets).
#include <concepts>
#include <cstddef>
#include <span>

namespace ctnn::loss {

template <class L, std::size_t Outputs, class Target>
concept LossFor = std::copy_constructible<L> &&
                  requires(const L& loss, std::span<const float> outputs, std::span<const Target> targets,
                           std::span<float> grad, std::size_t mean_over) {
                      { L::targets_per_sample(Outputs) } -> std::same_as<std::size_t>;
                      { loss.template value_and_gradient<Outputs>(outputs, targets, grad, mean_over) } -> std::same_as<float>;
                  };

namespace detail {
/// An element-wise loss object (one target per output, the mean over every element of
/// `mean_over` samples) from its function over rows: value = Rows(outputs, targets, grad, divisor),
/// the divisor counting elements.
template <float (*Rows)(std::span<const float>, std::span<const float>, std::span<float>, std::size_t) noexcept>
struct ElementwiseLoss {
    static constexpr std::size_t targets_per_sample(std::size_t outputs) noexcept { return outputs; }

    template <std::size_t Outputs>
    float value_and_gradient(std::span<const float> outputs, std::span<const float> targets, std::span<float> grad,
                             std::size_t mean_over = 0) const noexcept {
        return Rows(outputs, targets, grad, mean_over ? mean_over * Outputs : outputs.size());
    }
};
}  // namespace detail

}  // namespace ctnn::loss
