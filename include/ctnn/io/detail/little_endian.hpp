#pragma once
// Little-endian loads and stores at any alignment, the same on every host: safetensors data is
// little-endian and its tensors need not be aligned. Assembling bytes with shifts is free of
// aliasing and alignment questions, and compilers turn it into one plain load or store.
#include <cstddef>
#include <cstdint>

namespace ctnn::io::detail {

inline std::uint16_t load_le16(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) | std::to_integer<unsigned>(p[1]) << 8);
}

inline std::uint32_t load_le32(const std::byte* p) noexcept {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | std::to_integer<std::uint32_t>(p[i]);
    return v;
}

inline std::uint64_t load_le64(const std::byte* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

inline void store_le32(std::byte* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

inline void store_le64(std::byte* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace ctnn::io::detail
