#pragma once
// Workspace<Net>: the memory one batch of training (or batch inference) needs, sized by the model
// type and a maximum batch fixed at construction, allocated once on the heap. Per layer it keeps
// the batch's outputs (batch x out_size rows) that backward reads, plus two gradient buffers of
// the widest layer that backward ping-pongs between. forward/backward never allocate.
#include <cstddef>
#include "aligned_buffer.hpp"

namespace ctnn {

template <class Net>
class Workspace {
public:
    explicit Workspace(std::size_t max_batch)
        : max_batch_(max_batch),
          data_(max_batch * (Net::activation_floats_per_sample + 2 * Net::padded_max_width)) {}

    std::size_t max_batch() const noexcept { return max_batch_; }
    /// Floats held: the memory cost of this workspace.
    std::size_t size() const noexcept { return data_.size(); }

    /// Output rows of layer `position` from the last training forward.
    float* activations(std::size_t position) noexcept {
        return data_.data() + max_batch_ * Net::table[position].act_offset;
    }
    const float* activations(std::size_t position) const noexcept {
        return data_.data() + max_batch_ * Net::table[position].act_offset;
    }
    float* gradient_buffer(std::size_t k) noexcept {
        return data_.data() + max_batch_ * (Net::activation_floats_per_sample + k * Net::padded_max_width);
    }

private:
    std::size_t max_batch_;
    AlignedBuffer data_;
};

}  // namespace ctnn
