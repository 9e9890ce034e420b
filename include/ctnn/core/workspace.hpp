#pragma once
// The memory a batch needs, sized by the model type and a maximum batch fixed at construction,
// allocated once on the heap; forward and backward never allocate.
//  - Workspace<Net>: training. The output of every step that backward reads (a fused pair keeps
//    one buffer), and two gradient buffers of the widest layer that backward ping-pongs between.
//  - Both: one layer call's working memory (an im2col buffer), whatever the batch.
//  - InferenceScratch<Net>: batch inference. Two ping-pong buffers of the widest intermediate
//    output, and room for the outputs (predict's logits).
#include <cstddef>
#include "aligned_buffer.hpp"

namespace ctnn {

template <class Net>
class Workspace {
public:
    static constexpr std::size_t floats_per_sample = Net::sizes.activations + 2 * Net::sizes.gradient_width;

    explicit Workspace(std::size_t max_batch)
        : max_batch_(max_batch), data_(max_batch * floats_per_sample + Net::sizes.layer_scratch) {}

    std::size_t max_batch() const noexcept { return max_batch_; }
    /// Floats held: the memory cost of this workspace.
    std::size_t size() const noexcept { return data_.size(); }

    /// Output rows of the step ending at `position` from the last training forward.
    float* activations(std::size_t position) noexcept { return data_.data() + max_batch_ * Net::table[position].act_offset; }
    const float* activations(std::size_t position) const noexcept {
        return data_.data() + max_batch_ * Net::table[position].act_offset;
    }
    float* gradient_buffer(int k) noexcept {
        return data_.data() + max_batch_ * (Net::sizes.activations + std::size_t(k) * Net::sizes.gradient_width);
    }
    /// The working memory of one layer call (an im2col buffer), after the per-sample areas.
    float* layer_scratch() noexcept { return data_.data() + max_batch_ * floats_per_sample; }

private:
    std::size_t max_batch_;
    AlignedBuffer data_;
};

template <class Net>
class InferenceScratch {
public:
    static constexpr std::size_t floats_per_sample =
        2 * Net::sizes.inference_width + detail::round_up(Net::out_size, floats_per_alignment);

    explicit InferenceScratch(std::size_t max_batch)
        : max_batch_(max_batch), data_(max_batch * floats_per_sample + Net::sizes.layer_scratch) {}

    std::size_t max_batch() const noexcept { return max_batch_; }
    std::size_t size() const noexcept { return data_.size(); }
    float* buffer(std::size_t k) noexcept { return data_.data() + k * max_batch_ * Net::sizes.inference_width; }
    float* outputs() noexcept { return buffer(2); }
    float* layer_scratch() noexcept { return data_.data() + max_batch_ * floats_per_sample; }

private:
    std::size_t max_batch_;
    AlignedBuffer data_;
};

}  // namespace ctnn
