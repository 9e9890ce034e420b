#pragma once
// DatasetView: a labelled data set as the bytes it is stored in (one row of sample_size bytes
// per sample, one byte label each), not owned. Kept as bytes because that is a quarter of the
// float size (MNIST's 60000 images: 47 MB instead of 188 MB); Batch converts per batch.
#include <cstddef>
#include <cstdint>
#include <span>
#include "../core/check.hpp"

namespace ctnn::train {

struct DatasetView {
    std::span<const std::uint8_t> pixels;  // size() rows of sample_size bytes
    std::span<const std::uint8_t> labels;  // one class index per sample
    std::size_t sample_size = 0;

    DatasetView() = default;
    DatasetView(std::span<const std::uint8_t> pixels_, std::span<const std::uint8_t> labels_,
                std::size_t sample_size_) noexcept
        : pixels(pixels_), labels(labels_), sample_size(sample_size_) {
        CTNN_CHECK(pixels.size() == labels.size() * sample_size, "pixels must hold one row of sample_size bytes per label");
    }

    std::size_t size() const noexcept { return labels.size(); }
    bool empty() const noexcept { return labels.empty(); }
    std::span<const std::uint8_t> sample(std::size_t i) const noexcept {
        return pixels.subspan(i * sample_size, sample_size);
    }
    /// Samples [first, first + count): a subset without copying (a validation split, a quick test).
    DatasetView slice(std::size_t first, std::size_t count) const noexcept {
        CTNN_CHECK(first <= size() && count <= size() - first, "slice outside the data set");
        return {pixels.subspan(first * sample_size, count * sample_size), labels.subspan(first, count), sample_size};
    }
};

}  // namespace ctnn::train
