#pragma once
// Binary cross-entropy on logits, mean over every element: torch.nn.BCEWithLogitsLoss(). Fused
// with the sigmoid and stable for any finite logit: max(x, 0) - x t + log(1 + e^-|x|) never
// exponentiates a positive number, where log(sigmoid(x)) would overflow or lose everything.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include "../core/check.hpp"
#include "loss.hpp"

namespace ctnn::loss {

namespace detail {
inline float binary_cross_entropy_with_logits(std::span<const float> logits, std::span<const float> targets,
                                              std::span<float> grad, std::size_t divisor) noexcept {
    CTNN_CHECK(logits.size() == targets.size(), "logits and targets sizes differ");
    CTNN_CHECK(grad.empty() || grad.size() == logits.size(), "grad must be empty or the size of logits");
    double total = 0;
    for (std::size_t i = 0; i < logits.size(); ++i) {
        const double x = logits[i], t = targets[i];
        const double e = std::exp(-std::abs(x));  // in (0, 1]
        total += std::max(x, 0.0) - x * t + std::log1p(e);
        if (!grad.empty()) {
            const double sigmoid = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            grad[i] = float((sigmoid - t) / double(divisor));
        }
    }
    return float(total / double(divisor));
}
}  // namespace detail

/// mean(-t log(sigmoid(x)) - (1 - t) log(1 - sigmoid(x))) over every element, targets t in
/// [0, 1]; if `grad` is not empty it gets (sigmoid(x) - t) / n.
inline float bce_with_logits(std::span<const float> logits, std::span<const float> targets,
                             std::span<float> grad = {}) noexcept {
    return detail::binary_cross_entropy_with_logits(logits, targets, grad, logits.size());
}

/// bce_with_logits as a loss object (loss.hpp): one float target in [0, 1] per output.
struct BceWithLogits : detail::ElementwiseLoss<detail::binary_cross_entropy_with_logits> {};

}  // namespace ctnn::loss
