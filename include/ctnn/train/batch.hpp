#pragma once
// Batch: the float inputs and labels of one mini-batch, gathered from a DatasetView's bytes and
// scaled to [0, 1] (byte / 255, as torchvision's ToTensor). Buffers are sized once for the
// largest batch; gathering never allocates.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "dataset.hpp"

namespace ctnn::train {

class Batch {
public:
    Batch(std::size_t max_batch, std::size_t sample_size)
        : max_batch_(max_batch), sample_size_(sample_size), x_(max_batch * sample_size), labels_(max_batch) {}

    /// The samples `indices` of `data`, in that order.
    void gather(const DatasetView& data, std::span<const std::uint32_t> indices) noexcept {
        begin(data, indices.size());
        for (std::size_t r = 0; r < size_; ++r) put(data, r, indices[r]);
    }
    /// Samples [first, first + count) of `data`.
    void gather(const DatasetView& data, std::size_t first, std::size_t count) noexcept {
        CTNN_CHECK(first <= data.size() && count <= data.size() - first, "batch outside the data set");
        begin(data, count);
        for (std::size_t r = 0; r < size_; ++r) put(data, r, first + r);
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t max_batch() const noexcept { return max_batch_; }
    /// size() x sample_size floats in [0, 1], rows contiguous: Seq::train_forward's input.
    std::span<const float> inputs() const noexcept { return {x_.data(), size_ * sample_size_}; }
    std::span<const std::uint8_t> labels() const noexcept { return {labels_.data(), size_}; }

private:
    void begin(const DatasetView& data, std::size_t count) noexcept {
        CTNN_CHECK(data.sample_size == sample_size_, "the data set's sample size is not the batch's");
        CTNN_CHECK(count <= max_batch_, "more samples than the batch holds");
        size_ = count;
    }
    void put(const DatasetView& data, std::size_t row, std::size_t sample) noexcept {
        CTNN_CHECK(sample < data.size(), "sample index out of range");
        const std::uint8_t* in = data.pixels.data() + sample * sample_size_;
        float* out = x_.data() + row * sample_size_;
        // Division, not a multiply by 1/255: bit-identical to ToTensor's div(255).
        std::transform(in, in + sample_size_, out, [](std::uint8_t b) { return float(b) / 255.0f; });
        labels_[row] = data.labels[sample];
    }

    std::size_t max_batch_, sample_size_, size_ = 0;
    AlignedBuffer x_;
    std::vector<std::uint8_t> labels_;
};

}  // namespace ctnn::train
