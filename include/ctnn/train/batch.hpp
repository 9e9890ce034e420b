#pragma once
// Batch<Target>: the float inputs and the targets of one mini-batch, read from any Dataset
// (dataset.hpp) in the order of a list of sample indices. Buffers are sized once for the
// largest batch; gathering never allocates.
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "dataset.hpp"

namespace ctnn::train {

template <class Target>
class Batch {
public:
    Batch(std::size_t max_batch, std::size_t sample_size, std::size_t target_size = 1)
        : max_batch_(max_batch),
          sample_size_(sample_size),
          target_size_(target_size),
          x_(max_batch * sample_size),
          targets_(max_batch * target_size) {}
    /// Buffers for batches of up to max_batch samples of `data`.
    template <Dataset D>
    Batch(const D& data, std::size_t max_batch) : Batch(max_batch, data.sample_size(), data.target_size()) {}

    /// The samples `indices` of `data`, in that order.
    template <Dataset D>
    void gather(const D& data, std::span<const std::uint32_t> indices) noexcept {
        begin(data, indices.size());
        for (std::size_t r = 0; r < size_; ++r) put(data, r, indices[r]);
    }
    /// The gather in parts, as threads split it: start(data, n) for a batch of n samples, then
    /// gather_rows(data, indices, first, count) puts samples indices[first, first + count) in
    /// those rows; calls on disjoint rows may run at once (each only reads `data`).
    template <Dataset D>
    void start(const D& data, std::size_t count) noexcept {
        begin(data, count);
    }
    template <Dataset D>
    void gather_rows(const D& data, std::span<const std::uint32_t> indices, std::size_t first,
                     std::size_t count) noexcept {
        CTNN_CHECK(indices.size() == size_ && first <= size_ && count <= size_ - first, "rows outside the batch");
        for (std::size_t r = first; r < first + count; ++r) put(data, r, indices[r]);
    }
    /// Samples [first, first + count) of `data`.
    template <Dataset D>
    void gather(const D& data, std::size_t first, std::size_t count) noexcept {
        CTNN_CHECK(first <= data.size() && count <= data.size() - first, "batch outside the data set");
        begin(data, count);
        for (std::size_t r = 0; r < size_; ++r) put(data, r, first + r);
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t max_batch() const noexcept { return max_batch_; }
    /// size() x sample_size floats, rows contiguous: the network's input.
    std::span<const float> inputs() const noexcept { return {x_.data(), size_ * sample_size_}; }
    /// size() x target_size targets, rows contiguous: the loss's targets.
    std::span<const Target> targets() const noexcept { return {targets_.data(), size_ * target_size_}; }

private:
    template <Dataset D>
    void begin(const D& data, std::size_t count) noexcept {
        static_assert(std::is_same_v<typename D::target_type, Target>, "the data set's target type is not the batch's");
        CTNN_CHECK(data.sample_size() == sample_size_, "the data set's sample size is not the batch's");
        CTNN_CHECK(data.target_size() == target_size_, "the data set's target size is not the batch's");
        CTNN_CHECK(count <= max_batch_, "more samples than the batch holds");
        size_ = count;
    }
    template <Dataset D>
    void put(const D& data, std::size_t row, std::size_t sample) noexcept {
        data.read(sample, {x_.data() + row * sample_size_, sample_size_},
                  {targets_.data() + row * target_size_, target_size_});
    }

    std::size_t max_batch_, sample_size_, target_size_, size_ = 0;
    AlignedBuffer x_;
    std::vector<Target> targets_;
};

template <Dataset D>
Batch(const D&, std::size_t) -> Batch<typename D::target_type>;

}  // namespace ctnn::train
