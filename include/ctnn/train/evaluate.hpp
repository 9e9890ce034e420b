#pragma once
// Evaluation of a classifier: accuracy and the confusion matrix, from batched inference over a
// DatasetView. The prediction is the first largest logit (torch.argmax).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/workspace.hpp"
#include "batch.hpp"
#include "dataset.hpp"

namespace ctnn::train {

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

/// Classifies every sample of `data` in batches of up to `batch` (buffers allocated once here).
template <class Net>
Evaluation evaluate(const Net& net, const DatasetView& data, std::size_t batch = 1000) {
    constexpr std::size_t classes = Net::out_size;
    CTNN_CHECK(data.sample_size == Net::in_size, "the data set's samples are not the model's input size");
    batch = std::max<std::size_t>(1, std::min(batch, data.size()));
    Evaluation e(classes);
    Batch b(batch, Net::in_size);
    InferenceScratch<Net> scratch(batch);
    AlignedBuffer logits(batch * classes);
    for (std::size_t first = 0; first < data.size(); first += batch) {
        const std::size_t n = std::min(batch, data.size() - first);
        b.gather(data, first, n);
        net.forward(b.inputs(), {logits.data(), n * classes}, scratch);
        for (std::size_t r = 0; r < n; ++r) {
            const float* z = logits.data() + r * classes;
            const auto predicted = std::size_t(std::max_element(z, z + classes) - z);
            const std::size_t truth = b.labels()[r];
            CTNN_CHECK(truth < classes, "class label out of range");
            e.add(truth, predicted);
        }
    }
    return e;
}

}  // namespace ctnn::train
