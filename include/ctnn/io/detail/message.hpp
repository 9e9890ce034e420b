#pragma once
// Pieces of ctnn::io's error messages, which always read
//   ctnn: <file>: <what is wrong, naming the tensor and what was expected>
// Names come from untrusted files, so they are quoted with their odd bytes escaped.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include "../load_result.hpp"
#include "../save_result.hpp"

namespace ctnn::io::detail {

/// "ctnn: <source>: <what>", or "ctnn: <what>" when there is no file (bytes in memory).
inline std::string located(std::string_view source, const std::string& what) {
    return "ctnn: " + (source.empty() ? std::string() : std::string(source) + ": ") + what;
}

inline LoadResult failure(LoadErrorKind kind, std::string_view source, const std::string& what) {
    return {kind, located(source, what)};
}

inline SaveResult failure(SaveErrorKind kind, std::string_view source, const std::string& what) {
    return {kind, located(source, what)};
}

/// "name" in double quotes; quotes, backslashes and bytes outside printable ASCII escaped, and
/// names longer than 200 bytes shortened, so a hostile file cannot garble the message.
inline std::string quote_name(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    constexpr std::size_t max_shown = 200;
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c >= 0x20 && c < 0x7F) {
            out += char(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (s.size() > max_shown) out += "...";
    return out + "\"";
}

/// "\"0.weight\", \"0.bias\", ..." (the first few), for "the file has ..." hints.
inline std::string some_names(const std::vector<std::string>& names) {
    constexpr std::size_t shown = 8;
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + quote_name(names[i]);
    if (names.size() > shown) out += ", ... (" + std::to_string(names.size() - shown) + " more)";
    return out;
}

/// "[256, 784]"
template <class Int>
std::string shape_text(std::span<const Int> dims) {
    std::string out = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
    return out + "]";
}

/// Where the element at row-major `index` of a tensor of this shape is: "[1, 2]".
inline std::string element_text(std::span<const std::size_t> shape, std::size_t index) {
    std::vector<std::size_t> at(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        at[d] = shape[d] ? index % shape[d] : 0;
        index = shape[d] ? index / shape[d] : 0;
    }
    return shape_text<std::size_t>(at);
}

/// "NaN", "+Inf", "-Inf", or for a finite double that has no float "1e+300, beyond the float range".
inline std::string bad_value_text(double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    if ((bits & 0x7FF0000000000000u) == 0x7FF0000000000000u)
        return (bits & 0x000FFFFFFFFFFFFFu) ? "NaN" : (bits >> 63) ? "-Inf" : "+Inf";
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return std::string(text) + ", beyond the float range";
}

}  // namespace ctnn::io::detail
