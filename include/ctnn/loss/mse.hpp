#pragma once
// Mean squared error over every element: torch.nn.MSELoss().
#include <cstddef>
#include <span>
#include "../core/check.hpp"
#include "loss.hpp"

namespace ctnn::loss {

namespace detail {
/// sum((prediction - target)^2) / divisor; grad = 2 (prediction - target) / divisor.
inline float squared_error(std::span<const float> prediction, std::span<const float> target, std::span<float> grad,
                           std::size_t divisor) noexcept {
    CTNN_CHECK(prediction.size() == target.size(), "prediction and target sizes differ");
    CTNN_CHECK(grad.empty() || grad.size() == prediction.size(), "grad must be empty or the size of prediction");
    double total = 0;
    for (std::size_t i = 0; i < prediction.size(); ++i) {
        const double d = double(prediction[i]) - target[i];
        total += d * d;
        if (!grad.empty()) grad[i] = float(2.0 * d / double(divisor));
    }
    return float(total / double(divisor));
}
}  // namespace detail

/// mean((prediction - target)^2); if `grad` is not empty it gets 2 (prediction - target) / n.
inline float mse(std::span<const float> prediction, std::span<const float> target, std::span<float> grad = {}) noexcept {
    return detail::squared_error(prediction, target, grad, prediction.size());
}

/// mse as a loss object (loss.hpp): one float target per output.
struct MeanSquaredError : detail::ElementwiseLoss<detail::squared_error> {};

}  // namespace ctnn::loss
