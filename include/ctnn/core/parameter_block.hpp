#pragma once
// ParameterBlock<Net>: one contiguous, aligned array in the layout of Net's parameters. The model
// holds one; gradients and optimizer state are more of the same, so an optimizer step, zeroing
// or averaging gradients is one loop over one array.
#include <cstddef>
#include <span>
#include "aligned_buffer.hpp"

namespace ctnn {

template <class Net>
class ParameterBlock {
public:
    static constexpr std::size_t size = Net::parameter_block_size;

    ParameterBlock() : data_(size) {}

    float* data() noexcept { return data_.data(); }
    const float* data() const noexcept { return data_.data(); }
    std::span<float, size> span() noexcept { return std::span<float, size>(data_.data(), size); }
    std::span<const float, size> span() const noexcept { return std::span<const float, size>(data_.data(), size); }
    void fill(float v) noexcept { data_.fill(v); }

    /// Views of layer I's tensors in this block (`weight`, `bias` for a Linear).
    template <std::size_t I>
    auto layer() noexcept { return Net::template layer_view<I>(data()); }
    template <std::size_t I>
    auto layer() const noexcept { return Net::template layer_view<I>(data()); }

private:
    AlignedBuffer data_;
};

/// Gradients of the loss with respect to every parameter, in the parameters' layout.
template <class Net>
class Gradients : public ParameterBlock<Net> {
public:
    /// backward accumulates (as PyTorch's .grad); clear once per step.
    void zero() noexcept { this->fill(0.0f); }
};

}  // namespace ctnn
