#pragma once
// Softmax cross-entropy on logits and integer class labels, fused and numerically stable (the
// max is subtracted before exp), mean over the batch: torch.nn.CrossEntropyLoss().
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include "../core/check.hpp"
#include "loss.hpp"

namespace ctnn::loss {

/// Returns the mean loss over the rows of `classes` logits, one per label. If `grad` is not
/// empty it gets d(loss)/d(logits) = (softmax - onehot) / batch, ready for Seq::backward.
/// `mean_over` (default: the number of labels) is the divisor of both: a share of a batch split
/// across threads passes the whole batch's size, so shares add up to the batch mean.
template <std::size_t Classes, class Label>
float softmax_cross_entropy(std::span<const float> logits, std::span<const Label> labels, std::span<float> grad = {},
                            std::size_t mean_over = 0) noexcept {
    const std::size_t batch = labels.size();
    const std::size_t divisor = mean_over ? mean_over : batch;
    CTNN_REQUIRE(logits.size() == batch * Classes, Caller::current(),
                 "softmax_cross_entropy: %zu labels need %zu logits (n x %zu classes), but there are %zu", batch,
                 batch * Classes, Classes, logits.size());
    CTNN_REQUIRE(grad.empty() || grad.size() == logits.size(), Caller::current(),
                 "softmax_cross_entropy: grad must be empty or hold %zu floats, but it has %zu", logits.size(),
                 grad.size());
    double total = 0;
    const float inv_batch = 1.0f / float(divisor);
    for (std::size_t r = 0; r < batch; ++r) {
        const float* z = logits.data() + r * Classes;
        const auto label = static_cast<std::size_t>(labels[r]);
        CTNN_REQUIRE(label < Classes, Caller::current(),
                     "softmax_cross_entropy: the label of row %zu of the batch is %lld, outside the %zu classes (0 to %zu)", r,
                     static_cast<long long>(labels[r]), Classes, Classes - 1);
        float m = z[0];
        for (std::size_t c = 1; c < Classes; ++c) m = z[c] > m ? z[c] : m;
        double sum = 0;
        for (std::size_t c = 0; c < Classes; ++c) sum += std::exp(double(z[c]) - m);
        const double log_sum = std::log(sum);
        total += log_sum - (double(z[label]) - m);
        if (!grad.empty()) {
            float* g = grad.data() + r * Classes;
            for (std::size_t c = 0; c < Classes; ++c)
                g[c] = float(std::exp(double(z[c]) - m - log_sum)) * inv_batch;
            g[label] -= inv_batch;
        }
    }
    return float(total / double(divisor));
}

/// softmax_cross_entropy as a loss object (loss.hpp): the number of classes is the network's
/// output size, the label type any integer type of the data set.
struct SoftmaxCrossEntropy {
    static constexpr std::size_t targets_per_sample(std::size_t /*outputs*/) noexcept { return 1; }

    template <std::size_t Outputs, std::integral Label>
    float value_and_gradient(std::span<const float> logits, std::span<const Label> labels, std::span<float> grad,
                             std::size_t mean_over = 0) const noexcept {
        return softmax_cross_entropy<Outputs, Label>(logits, labels, grad, mean_over);
    }
};

}  // namespace ctnn::loss
