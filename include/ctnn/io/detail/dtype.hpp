#pragma once
// safetensors element types: every dtype the format names (so a header's offsets can be checked
// whatever it holds) and the conversion of the four ctnn loads (F32 as is; F16, BF16, F64
// converted) into float, stopping at the first value that is not a finite float.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include "little_endian.hpp"

namespace ctnn::io::detail {

enum class Dtype : std::uint8_t { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

struct DtypeInfo {
    Dtype dtype;
    std::string_view name;
    std::size_t size;  // bytes per element
    bool loadable;     // ctnn converts it to float
};

inline constexpr std::array<DtypeInfo, 15> dtypes{{
    {Dtype::BOOL, "BOOL", 1, false},
    {Dtype::U8, "U8", 1, false},
    {Dtype::I8, "I8", 1, false},
    {Dtype::F8_E5M2, "F8_E5M2", 1, false},
    {Dtype::F8_E4M3, "F8_E4M3", 1, false},
    {Dtype::I16, "I16", 2, false},
    {Dtype::U16, "U16", 2, false},
    {Dtype::F16, "F16", 2, true},
    {Dtype::BF16, "BF16", 2, true},
    {Dtype::I32, "I32", 4, false},
    {Dtype::U32, "U32", 4, false},
    {Dtype::F32, "F32", 4, true},
    {Dtype::F64, "F64", 8, true},
    {Dtype::I64, "I64", 8, false},
    {Dtype::U64, "U64", 8, false},
}};

inline const DtypeInfo& dtype_info(Dtype d) noexcept { return dtypes[static_cast<std::size_t>(d)]; }

/// The dtype called `name` in a header, or nullptr for one the format does not define.
inline const DtypeInfo* find_dtype(std::string_view name) noexcept {
    for (const auto& d : dtypes)
        if (d.name == name) return &d;
    return nullptr;
}

/// IEEE half to float; exact (every half is a float).
inline float f16_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1Fu;
    const std::uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
        const float magnitude = float(mantissa) * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000u | mantissa << 13);  // Inf, NaN
    return std::bit_cast<float>(sign | (exponent + 112) << 23 | mantissa << 13);
}

/// bfloat16 is the upper half of a float.
inline float bf16_to_float(std::uint16_t b) noexcept { return std::bit_cast<float>(std::uint32_t(b) << 16); }

// Bit tests rather than std::isfinite, which -ffast-math may fold to true.
inline bool is_finite(float f) noexcept { return (std::bit_cast<std::uint32_t>(f) & 0x7F800000u) != 0x7F800000u; }
inline bool is_finite(double d) noexcept {
    return (std::bit_cast<std::uint64_t>(d) & 0x7FF0000000000000u) != 0x7FF0000000000000u;
}

/// Converts n elements of a loadable dtype at src (little-endian, any alignment) to floats at
/// dst. Returns n, or the index of the first value that is NaN, infinite or (F64) beyond the
/// float range, with that value in `bad`.
inline std::size_t convert_to_float(Dtype dtype, const std::byte* src, std::size_t n, float* dst,
                                    double& bad) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        float f = 0;
        switch (dtype) {
            case Dtype::F32: f = std::bit_cast<float>(load_le32(src + 4 * i)); break;
            case Dtype::F16: f = f16_to_float(load_le16(src + 2 * i)); break;
            case Dtype::BF16: f = bf16_to_float(load_le16(src + 2 * i)); break;
            case Dtype::F64: {
                const double d = std::bit_cast<double>(load_le64(src + 8 * i));
                // Checked before the conversion: a finite double beyond float's range has no float.
                if (!is_finite(d) || d > double(std::numeric_limits<float>::max()) ||
                    d < -double(std::numeric_limits<float>::max())) {
                    bad = d;
                    return i;
                }
                f = static_cast<float>(d);
                break;
            }
            default: bad = 0; return i;  // not loadable: callers check first
        }
        if (!is_finite(f)) {
            bad = f;
            return i;
        }
        dst[i] = f;
    }
    return n;
}

}  // namespace ctnn::io::detail
