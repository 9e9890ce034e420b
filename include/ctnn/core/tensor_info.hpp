#pragma once
// How a layer names and places its tensors; Seq turns these into the model's tensor table
// (PyTorch names "0.weight", "0.bias", "2.weight", ...) used by every loader and writer.
#include <array>
#include <cstddef>
#include <string_view>

namespace ctnn {

struct TensorInfo {
    std::string_view name;               // suffix after "<position>."
    std::size_t offset;                  // floats from the start of the layer's parameters
    std::size_t rank;                    // 1 or 2
    std::array<std::size_t, 2> dims;     // PyTorch shape
    constexpr std::size_t size() const noexcept { return rank == 1 ? dims[0] : dims[0] * dims[1]; }
};

}  // namespace ctnn
