#pragma once
// A non-owning, fixed-size, row-major view of a weight matrix inside a parameter block.
#include <cstddef>
#include <span>

namespace ctnn {

template <class T, std::size_t Rows, std::size_t Cols>
class MatrixView {
public:
    static constexpr std::size_t rows = Rows, cols = Cols, size = Rows * Cols;

    constexpr explicit MatrixView(T* data) noexcept : data_(data) {}
    constexpr T& operator()(std::size_t r, std::size_t c) const noexcept { return data_[r * Cols + c]; }
    constexpr T* data() const noexcept { return data_; }
    constexpr std::span<T, Rows * Cols> span() const noexcept { return std::span<T, Rows * Cols>(data_, Rows * Cols); }
    constexpr std::span<T, Cols> row(std::size_t r) const noexcept { return std::span<T, Cols>(data_ + r * Cols, Cols); }

private:
    T* data_;
};

}  // namespace ctnn
