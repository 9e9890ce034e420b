#pragma once
// How a layer declares its tensors: name, role, PyTorch shape and default initialisation. Seq
// lays them out in the model's parameter block and names them as nn.Sequential does ("0.weight",
// "2.bias"); every loader, writer and initialiser works from these declarations alone.
#include <array>
#include <cstddef>
#include <initializer_list>
#include <string_view>
#include "aligned_buffer.hpp"

namespace ctnn {

enum class TensorRole {
    weight,     // a weight matrix or kernel: the weight initialisers (normal, xavier) apply to it
    bias,       // trainable, one per output unit
    parameter,  // any other trainable tensor (a PReLU slope)
    buffer,     // not trained, but saved and loaded (a running mean)
    count,      // a buffer holding an integer count (num_batches_tracked): I64 in files, a float
                // in the block (exact up to 2^24)
};

/// A tensor's value in a freshly built model, as PyTorch's module would have it.
struct DefaultInit {
    enum class Kind { constant, uniform_inv_sqrt } kind = Kind::constant;
    std::size_t n = 0;  // uniform_inv_sqrt: U(-1/sqrt(n), 1/sqrt(n))
    float value = 0;    // constant
    static constexpr DefaultInit constant(float v) noexcept { return {Kind::constant, 0, v}; }
    /// U(-1/sqrt(n), 1/sqrt(n)): nn.Linear's and nn.Conv's weights and biases with n = fan-in.
    static constexpr DefaultInit uniform_inv_sqrt(std::size_t n) noexcept { return {Kind::uniform_inv_sqrt, n, 0}; }
};

struct TensorInfo {
    static constexpr std::size_t max_rank = 4;  // Conv2D weights are [Out, In, KH, KW]

    std::string_view name{};  // PyTorch's attribute name: the suffix after "<position>."
    TensorRole role = TensorRole::weight;
    std::size_t rank = 0;
    std::array<std::size_t, max_rank> dims{};  // PyTorch shape
    DefaultInit init{};
    std::size_t offset = 0;  // floats from the start of the layer's parameters (set by tensor_list)

    constexpr TensorInfo() = default;
    constexpr TensorInfo(std::string_view name_, TensorRole role_, std::initializer_list<std::size_t> shape,
                         DefaultInit init_)
        : name(name_), role(role_), rank(shape.size()), init(init_) {
        std::size_t d = 0;
        for (std::size_t n : shape) dims[d++] = n;
    }

    constexpr std::size_t size() const noexcept {  // rank 0: a scalar
        std::size_t n = 1;
        for (std::size_t d = 0; d < rank; ++d) n *= dims[d];
        return n;
    }
    constexpr bool trainable() const noexcept { return role != TensorRole::buffer && role != TensorRole::count; }
    /// PyTorch's fan-in and fan-out of a weight (torch.nn.init._calculate_fan_in_and_fan_out):
    /// dims[1] and dims[0], each times the receptive field (the product of the dims after them).
    constexpr std::size_t fan_in() const noexcept { return rank < 2 ? dims[0] : dims[1] * receptive_field(); }
    constexpr std::size_t fan_out() const noexcept { return dims[0] * receptive_field(); }

private:
    constexpr std::size_t receptive_field() const noexcept {
        std::size_t n = 1;
        for (std::size_t d = 2; d < rank; ++d) n *= dims[d];
        return n;
    }
};

/// A layer's tensor declarations with their offsets assigned: each starts on a 64-byte
/// boundary, in declaration order.
template <std::size_t N>
constexpr std::array<TensorInfo, N> tensor_list(std::array<TensorInfo, N> tensors) noexcept {
    std::size_t offset = 0;
    for (auto& t : tensors) {
        t.offset = offset;
        offset += detail::round_up(t.size(), floats_per_alignment);
    }
    return tensors;
}

namespace detail {
/// Floats a layer's tensors take in a parameter block, the padding after each included.
template <std::size_t N>
constexpr std::size_t block_floats(const std::array<TensorInfo, N>& tensors) noexcept {
    std::size_t n = 0;
    for (const auto& t : tensors) n = t.offset + round_up(t.size(), floats_per_alignment);
    return n;
}
}  // namespace detail

}  // namespace ctnn
