#pragma once
// Mean squared error over every element: torch.nn.MSELoss().
#include <cstddef>
#include <span>
#include "../core/check.hpp"

namespace ctnn::loss {

/// mean((prediction - target)^2); if `grad` is not empty it gets 2 (prediction - target) / n.
inline float mse(std::span<const float> prediction, std::span<const float> target, std::span<float> grad = {}) noexcept {
    CTNN_CHECK(prediction.size() == target.size(), "prediction and target sizes differ");
    CTNN_CHECK(grad.empty() || grad.size() == prediction.size(), "grad must be empty or the size of prediction");
    const std::size_t n = prediction.size();
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = double(prediction[i]) - target[i];
        total += d * d;
        if (!grad.empty()) grad[i] = float(2.0 * d / double(n));
    }
    return float(total / double(n));
}

}  // namespace ctnn::loss
