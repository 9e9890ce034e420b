#pragma once
// The one place where ctnn allocates: parameter blocks, gradients, optimizer state and batch
// workspaces are AlignedBuffers created once, up front. forward/backward never allocate.
#include <algorithm>
#include <atomic>
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

/// Where a large array starts inside its allocation: 0, 1088, 2176, ... bytes (17 cache lines
/// apart, 16 colours), one allocation after another. Same-sized blocks allocated in a row (a
/// model's parameters, its gradients, Adam's two moments) otherwise sit exactly the same
/// distance apart, each mapped by the C library right after the last (1 MiB + 32 KiB apart for
/// the MNIST network), and a pass reading them side by side (Adam's update: four streams) ran at
/// a quarter of its speed on AMD Zen 3 at that distance: 495 us, against 127-141 us at the 13
/// other distances tried between 1 and 2 MiB (the four streams' lines competing for the same
/// cache sets). Each 256 bytes or more further in than the one before, they ran at 128-133 us.
inline std::size_t next_colour() noexcept {
    static std::atomic<std::size_t> count{0};
    return count.fetch_add(1, std::memory_order_relaxed) % 16 * 17 * alignment;
}
inline constexpr std::size_t coloured_from_bytes = std::size_t{64} << 10;
}  // namespace detail

/// A zero-initialised, 64-byte-aligned array of T (float; bf16 or int8 weights) on the heap;
/// movable and copyable. From 64 KiB on, the array starts a few cache lines into its allocation,
/// at an offset that changes from one array to the next (detail::next_colour).
template <class T>
class AlignedArray {
public:
    static constexpr std::size_t per_alignment = alignment / sizeof(T);

    AlignedArray() = default;
    explicit AlignedArray(std::size_t n) : size_(n) {
        if (!n) return;
        const std::size_t bytes = detail::round_up(n, per_alignment) * sizeof(T);
        colour_ = bytes >= detail::coloured_from_bytes ? detail::next_colour() : 0;
        char* base = static_cast<char*>(::operator new[](bytes + colour_, std::align_val_t{alignment}));
        data_ = reinterpret_cast<T*>(base + colour_);
        std::fill_n(data_, detail::round_up(n, per_alignment), T{});
    }
    AlignedArray(const AlignedArray& other) : AlignedArray(other.size_) { std::copy_n(other.data_, size_, data_); }
    AlignedArray(AlignedArray&& other) noexcept : data_(other.data_), size_(other.size_), colour_(other.colour_) {
        other.data_ = nullptr;
        other.size_ = 0;
    }
    AlignedArray& operator=(AlignedArray other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(colour_, other.colour_);
        return *this;
    }
    ~AlignedArray() {
        if (data_) ::operator delete[](reinterpret_cast<char*>(data_) - colour_, std::align_val_t{alignment});
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
    std::size_t colour_ = 0;  // bytes between the allocation and data_
};

/// The float array every parameter block, gradient and workspace is.
using AlignedBuffer = AlignedArray<float>;

}  // namespace ctnn
