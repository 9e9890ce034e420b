#pragma once
// The one place where ctnn allocates: parameter blocks, gradients, optimizer state and batch
// workspaces are AlignedBuffers created once, up front. forward/backward never allocate.
#include <algorithm>
#include <cstddef>
#include <new>
#include <span>

namespace ctnn {

/// Bytes every parameter block, tensor and workspace row block is aligned to (one AVX-512
/// register, one cache line).
inline constexpr std::size_t alignment = 64;
/// Floats per alignment unit: tensor offsets inside a block are multiples of this.
inline constexpr std::size_t floats_per_alignment = alignment / sizeof(float);

namespace detail {
constexpr std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }
}  // namespace detail

/// A zero-initialised, 64-byte-aligned array of T (float; bf16 or int8 weights) on the heap;
/// movable and copyable.
template <class T>
class AlignedArray {
public:
    static constexpr std::size_t per_alignment = alignment / sizeof(T);

    AlignedArray() = default;
    explicit AlignedArray(std::size_t n)
        : data_(n ? static_cast<T*>(::operator new[](detail::round_up(n, per_alignment) * sizeof(T),
                                                      std::align_val_t{alignment}))
                  : nullptr),
          size_(n) {
        std::fill_n(data_, detail::round_up(n, per_alignment), T{});
    }
    AlignedArray(const AlignedArray& other) : AlignedArray(other.size_) { std::copy_n(other.data_, size_, data_); }
    AlignedArray(AlignedArray&& other) noexcept : data_(other.data_), size_(other.size_) {
        other.data_ = nullptr;
        other.size_ = 0;
    }
    AlignedArray& operator=(AlignedArray other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        return *this;
    }
    ~AlignedArray() {
        if (data_) ::operator delete[](data_, std::align_val_t{alignment});
    }

    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::span<T> span() noexcept { return {data_, size_}; }
    std::span<const T> span() const noexcept { return {data_, size_}; }
    void fill(T v) noexcept { std::fill_n(data_, size_, v); }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

/// The float array every parameter block, gradient and workspace is.
using AlignedBuffer = AlignedArray<float>;

}  // namespace ctnn
