#pragma once
// bf16 matrix products on AMX (Intel's tile unit: Sapphire Rapids and later), for batches. One
// tdpbf16ps multiplies a 16 x 32 tile of inputs by a 32 x 16 tile of weights into 16 x 16 fp32
// sums, 8192 products per instruction; the packed weight layout of kernels/bf16.hpp is already
// the layout it reads (16 input pairs x 16 outputs per 1 KiB). Four sum tiles make a block of
// 32 samples x 32 outputs, so that each tile loaded serves two products.
//
// Linux grants a process the tile registers' 8 KiB of state only when asked (arch_prctl
// ARCH_REQ_XCOMP_PERM): amx_request() asks, once, outside any real-time path (a Bf16Model's
// constructor); the kernels run on AMX only after it succeeded, and otherwise on AVX-512.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <immintrin.h>
#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#define CTNN_AMX 1
#else
#define CTNN_AMX 0
#endif

namespace ctnn::kernels {

namespace detail {
inline std::atomic<bool> amx_granted{false};
}  // namespace detail

/// Asks the OS for the tile registers (once per process; safe to call again and from any
/// thread). Returns whether bf16 products may run on AMX: false where the build does not target
/// AMX, the CPU lacks it or the kernel refuses.
inline bool amx_request() noexcept {
#if CTNN_AMX
    if (!detail::amx_granted.load(std::memory_order_relaxed)) {
        constexpr long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
        if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0)
            detail::amx_granted.store(true, std::memory_order_relaxed);
    }
    return detail::amx_granted.load(std::memory_order_relaxed);
#else
    return false;
#endif
}

/// Whether amx_request() succeeded in this process (one relaxed load: no lock, no system call).
inline bool amx_ready() noexcept { return CTNN_AMX && detail::amx_granted.load(std::memory_order_relaxed); }

#if CTNN_AMX
namespace detail {

/// Tiles 0-3 hold sums (rows of 16 floats), 4-5 inputs (rows of 32 bf16) and 6-7 weights (16
/// rows of 16 output pairs). `first` samples (at most 16) in tiles 0, 1 and 4, `second` more in
/// 2, 3 and 5: a tile holds only the rows it needs (one sample loads one row, not 16).
struct alignas(64) TileConfig {
    std::uint8_t palette = 1, start_row = 0;
    std::uint8_t reserved[14]{};
    std::uint16_t bytes_per_row[16]{};
    std::uint8_t rows[16]{};

    constexpr TileConfig() = default;
    constexpr TileConfig(std::size_t first, std::size_t second) noexcept {
        for (int t : {0, 1, 4}) bytes_per_row[t] = 64, rows[t] = std::uint8_t(first);
        if (second > 0)
            for (int t : {2, 3, 5}) bytes_per_row[t] = 64, rows[t] = std::uint8_t(second);
        for (int t : {6, 7}) bytes_per_row[t] = 64, rows[t] = 16;
    }
};

/// The configuration for n samples (1 to 32), in static memory: GCC 12's _tile_loadconfig tells
/// the compiler it reads 8 bytes, so the stores of a configuration built on the stack just
/// before it may be dropped (seen: ldtilecfg faulted on a half-written one).
inline constexpr auto tile_configs = [] {
    std::array<TileConfig, 33> configs{};
    for (std::size_t n = 1; n <= 32; ++n) configs[n] = TileConfig(n < 16 ? n : 16, n > 16 ? n - 16 : 0);
    return configs;
}();

/// The samples the tile configuration holds (bf16 rows of 2 x Pairs values, `x` at row 0; MR = 2:
/// the second tile's from row 16) against NR blocks of 16 outputs starting at block `block`:
/// out[r][c] (rows of NR x 16) = the sums.
template <std::size_t Pairs, std::size_t MR, std::size_t NR>
[[gnu::noinline]] void amx_tile(const std::uint16_t* x, const std::uint16_t* packed, std::size_t block,
                                float* out) noexcept {
    constexpr std::size_t x_stride = 2 * Pairs * sizeof(std::uint16_t), out_stride = NR * 16 * sizeof(float);
    const std::uint16_t* w0 = packed + block * Pairs * 32;
    const std::uint16_t* w1 = w0 + Pairs * 32;
    const std::uint16_t* x1 = x + 16 * 2 * Pairs;
    _tile_zero(0);
    if constexpr (NR > 1) _tile_zero(1);
    if constexpr (MR > 1) _tile_zero(2);
    if constexpr (MR > 1 && NR > 1) _tile_zero(3);
    for (std::size_t k = 0; k < Pairs; k += 16) {
        _tile_loadd(4, x + 2 * k, x_stride);
        _tile_loadd(6, w0 + k * 32, 64);
        _tile_dpbf16ps(0, 4, 6);
        if constexpr (NR > 1) {
            _tile_loadd(7, w1 + k * 32, 64);
            _tile_dpbf16ps(1, 4, 7);
        }
        if constexpr (MR > 1) {
            _tile_loadd(5, x1 + 2 * k, x_stride);
            _tile_dpbf16ps(2, 5, 6);
            if constexpr (NR > 1) _tile_dpbf16ps(3, 5, 7);
        }
    }
    _tile_stored(0, out, out_stride);
    if constexpr (NR > 1) _tile_stored(1, out + 16, out_stride);
    if constexpr (MR > 1) _tile_stored(2, out + 16 * NR * 16, out_stride);
    if constexpr (MR > 1 && NR > 1) _tile_stored(3, out + 16 * NR * 16 + 16, out_stride);
}

}  // namespace detail
#endif

}  // namespace ctnn::kernels
