#pragma once
// The memory a batch needs, sized by the model type and a maximum batch fixed at construction,
// allocated once on the heap; forward and backward never allocate.
//  - Workspace<Net>: training. The output of every step that backward reads (a fused pair keeps
//    one buffer), and two gradient buffers of the widest layer that backward ping-pongs between.
//    The state layers that train differently keep (BatchNorm's batch statistics), and the
//    TrainingStep the next train_forward runs under (Dropout's masks depend on it).
//  - Both: one layer call's working memory (an im2col buffer), whatever the batch.
//  - InferenceScratch<Net>: batch inference. Two ping-pong buffers of the widest intermediate
//    output, and room for the outputs (predict's logits).
#include <cstddef>
#include "aligned_buffer.hpp"
#include "layer.hpp"

namespace ctnn {

template <class Net>
class Workspace {
public:
    static constexpr std::size_t floats_per_sample = Net::sizes.activations + 2 * Net::sizes.gradient_width;

    explicit Workspace(std::size_t max_batch)
        : max_batch_(max_batch),
          data_(max_batch * floats_per_sample + Net::sizes.layer_scratch + Net::sizes.train_state +
                max_batch * Net::sizes.train_state_per_sample) {}

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
    /// What the layer at `position` kept from the last training forward (its batch statistics).
    float* train_state(std::size_t position) noexcept {
        return data_.data() + max_batch_ * floats_per_sample + Net::sizes.layer_scratch +
               Net::table[position].state_offset + max_batch_ * Net::table[position].sample_state_offset;
    }
    const float* train_state(std::size_t position) const noexcept {
        return const_cast<Workspace*>(this)->train_state(position);
    }

    /// The TrainingStep the next train_forward runs under; each call advances `step` by one.
    /// Set it to choose the seed of Dropout's masks, or to repeat a step's masks exactly.
    const TrainingStep& training_step() const noexcept { return step_; }
    void set_training_step(const TrainingStep& step) noexcept { step_ = step; }
    /// The current TrainingStep, then advances it (Seq::train_forward).
    TrainingStep next_training_step() noexcept {
        const TrainingStep s = step_;
        ++step_.step;
        return s;
    }

private:
    std::size_t max_batch_;
    AlignedBuffer data_;
    TrainingStep step_{};
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
