#pragma once
// Evaluation over a whole data set by batched inference. With integer targets (a classifier):
// accuracy and the confusion matrix, the prediction being the first largest output
// (torch.argmax). With float targets (a regression): the mean squared error and the largest
// absolute error. And for any loss: its mean over the data set (a validation loss). The model
// is anything with the inference API: a Seq, a ModelView, a Bf16Model.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <span>
#include <vector>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/workspace.hpp"
#include "../loss/loss.hpp"
#include "batch.hpp"
#include "dataset.hpp"

namespace ctnn::train {

/// A classifier's results: accuracy and the confusion matrix.
struct Evaluation {
    std::size_t classes = 0;
    std::size_t total = 0, correct = 0;
    std::vector<std::size_t> confusion;  // classes x classes: row = true class, column = predicted

    explicit Evaluation(std::size_t classes_) : classes(classes_), confusion(classes_ * classes_) {}

    std::size_t count(std::size_t truth, std::size_t predicted) const noexcept {
        return confusion[truth * classes + predicted];
    }
    void add(std::size_t truth, std::size_t predicted) noexcept {
        ++confusion[truth * classes + predicted];
        ++total;
        correct += truth == predicted;
    }
    double accuracy() const noexcept { return total ? double(correct) / double(total) : 0.0; }
    /// As PyTorch computes it, (predicted == label).float().mean(): a float32.
    float accuracy_f32() const noexcept { return total ? float(correct) / float(total) : 0.0f; }
};

/// A regression's results over every output of every sample.
struct RegressionEvaluation {
    std::size_t total = 0;             // samples
    std::size_t outputs = 0;           // outputs per sample
    double squared_error_sum = 0;      // sum over samples and outputs
    double max_abs_error = 0;

    /// Mean squared error over every output: torch.nn.MSELoss()'s value.
    double mse() const noexcept { return total ? squared_error_sum / double(total * outputs) : 0.0; }
};

/// Writes the confusion matrix as a table: one row per true class, one column per prediction.
inline void print_confusion(std::FILE* out, const Evaluation& e) {
    std::fprintf(out, "true\\pred");
    for (std::size_t c = 0; c < e.classes; ++c) std::fprintf(out, " %6zu", c);
    std::fprintf(out, "\n");
    for (std::size_t t = 0; t < e.classes; ++t) {
        std::fprintf(out, "%9zu", t);
        for (std::size_t p = 0; p < e.classes; ++p) std::fprintf(out, " %6zu", e.count(t, p));
        std::fprintf(out, "\n");
    }
}

namespace evaluate_detail {
/// Runs `net` over `data` in batches of up to `batch` (buffers allocated once here), calling
/// visit(outputs, batch) with each batch's batch.size() x out_size outputs.
template <class Model, Dataset D, class Visit>
void for_each_batch(const Model& net, const D& data, std::size_t batch, Visit&& visit) {
    using Net = typename Model::network;
    CTNN_CHECK(data.sample_size() == Net::in_size, "the data set's samples are not the model's input size");
    batch = std::max<std::size_t>(1, std::min(batch, data.size()));
    Batch b(data, batch);
    InferenceScratch<Net> scratch(batch);
    AlignedBuffer outputs(batch * Net::out_size);
    for (std::size_t first = 0; first < data.size(); first += batch) {
        const std::size_t n = std::min(batch, data.size() - first);
        b.gather(data, first, n);
        const std::span<float> y{outputs.data(), n * Net::out_size};
        net.forward(b.inputs(), y, scratch);
        visit(std::span<const float>(y), b);
    }
}
}  // namespace evaluate_detail

/// Classifies every sample of `data` (integer labels, one per sample).
template <class Model, Dataset D>
    requires std::integral<typename D::target_type>
Evaluation evaluate(const Model& net, const D& data, std::size_t batch = 1000) {
    constexpr std::size_t classes = Model::network::out_size;
    CTNN_CHECK(data.target_size() == 1, "a classifier's data set holds one label per sample");
    Evaluation e(classes);
    evaluate_detail::for_each_batch(net, data, batch, [&](std::span<const float> outputs, const auto& b) {
        for (std::size_t r = 0; r < b.size(); ++r) {
            const float* z = outputs.data() + r * classes;
            const auto predicted = std::size_t(std::max_element(z, z + classes) - z);
            const auto truth = static_cast<std::size_t>(b.targets()[r]);
            CTNN_REQUIRE(truth < classes, Caller::current(),
                         "evaluate: a label is %zu, outside the model's %zu classes (0 to %zu)", std::size_t(truth),
                         classes, classes - 1);
            e.add(truth, predicted);
        }
    });
    return e;
}

/// Compares the outputs with the float targets (out_size per sample) of every sample of `data`.
template <class Model, Dataset D>
    requires std::floating_point<typename D::target_type>
RegressionEvaluation evaluate(const Model& net, const D& data, std::size_t batch = 1000) {
    using Net = typename Model::network;
    CTNN_CHECK(data.target_size() == Net::out_size, "a regression's data set holds out_size targets per sample");
    RegressionEvaluation e{.outputs = Net::out_size};
    evaluate_detail::for_each_batch(net, data, batch, [&](std::span<const float> outputs, const auto& b) {
        const auto targets = b.targets();
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            const double d = double(outputs[i]) - double(targets[i]);
            e.squared_error_sum += d * d;
            e.max_abs_error = std::max(e.max_abs_error, std::abs(d));
        }
        e.total += b.size();
    });
    return e;
}

/// The mean of `loss` over every sample of `data` (e.g. a validation loss); NaN if data is empty.
template <class Model, class Loss, Dataset D>
    requires loss::LossFor<Loss, Model::network::out_size, typename D::target_type>
double mean_loss(const Model& net, const Loss& loss, const D& data, std::size_t batch = 1000) {
    using Net = typename Model::network;
    double total = 0;
    evaluate_detail::for_each_batch(net, data, batch, [&](std::span<const float> outputs, const auto& b) {
        // Each batch's sum over the whole data set's size: the parts add up to the mean.
        total += loss.template value_and_gradient<Net::out_size>(outputs, b.targets(), {}, data.size());
    });
    return data.size() ? total : std::nan("");
}

}  // namespace ctnn::train
