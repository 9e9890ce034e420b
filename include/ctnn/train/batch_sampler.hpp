#pragma once
// BatchSampler: the order in which an epoch visits the samples, cut into mini-batches, as
// PyTorch's DataLoader(shuffle=True, drop_last=True) does. The order comes from a seeded
// ctnn::Rng, so a seed reproduces every epoch on every platform. The sampler draws from the
// caller's generator (kept by reference), continuing its stream as PyTorch's one global
// generator does; saving that generator's state() saves the order of every later epoch. The
// index array is allocated once; starting an epoch and reading a batch never allocate.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>
#include "../core/check.hpp"
#include "../util/rng.hpp"

namespace ctnn::train {

struct BatchOptions {
    std::size_t batch = 100;
    bool shuffle = true;    // a fresh random order every epoch
    bool drop_last = true;  // skip the last, smaller batch (its loss would weigh as much as a full one)
};

class BatchSampler {
public:
    /// `rng` must outlive the sampler.
    BatchSampler(std::size_t samples, BatchOptions options, Rng& rng) : options_(options), rng_(rng), order_(samples) {
        CTNN_CHECK(options.batch > 0, "batch size must be positive");
        CTNN_CHECK(samples <= UINT32_MAX, "at most 2^32 - 1 samples");
        std::iota(order_.begin(), order_.end(), std::uint32_t{0});
    }

    /// Starts an epoch: the identity order, shuffled if options.shuffle. Each epoch's order thus
    /// depends only on the generator's state, not on the previous epoch's order.
    void start_epoch() noexcept {
        std::iota(order_.begin(), order_.end(), std::uint32_t{0});
        if (options_.shuffle) rng_.shuffle(order_);
    }

    std::size_t batches() const noexcept {
        const std::size_t n = order_.size(), b = options_.batch;
        return options_.drop_last ? n / b : (n + b - 1) / b;
    }
    /// Sample indices of batch k of the current epoch (the last one may be shorter unless drop_last).
    std::span<const std::uint32_t> batch(std::size_t k) const noexcept {
        CTNN_CHECK(k < batches(), "batch index out of range");
        const std::size_t first = k * options_.batch;
        return std::span<const std::uint32_t>(order_).subspan(first, std::min(options_.batch, order_.size() - first));
    }
    std::size_t samples() const noexcept { return order_.size(); }
    const BatchOptions& options() const noexcept { return options_; }

private:
    BatchOptions options_;
    Rng& rng_;
    std::vector<std::uint32_t> order_;
};

}  // namespace ctnn::train
