#pragma once
// A layer's input or output shape, as a compile-time value: rank 1 is a feature vector, rank 2 a
// sequence (channels x time), rank 3 an image (channels x height x width).
#include <array>
#include <cstddef>

namespace ctnn {

struct Shape {
    std::array<std::size_t, 3> dims{};
    std::size_t rank = 0;

    constexpr Shape() = default;
    constexpr explicit Shape(std::size_t n) : dims{n, 0, 0}, rank(1) {}
    constexpr Shape(std::size_t c, std::size_t t) : dims{c, t, 0}, rank(2) {}
    constexpr Shape(std::size_t c, std::size_t h, std::size_t w) : dims{c, h, w}, rank(3) {}

    /// Number of floats one sample of this shape holds.
    constexpr std::size_t size() const noexcept {
        if (rank == 0) return 0;
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
    constexpr bool operator==(const Shape&) const = default;
};

}  // namespace ctnn
