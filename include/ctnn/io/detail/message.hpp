#pragma once
// Pieces of ctnn::io's error messages, which always read
//   ctnn: <file>: <what is wrong, naming the tensor and what the model expects>
// Names come from untrusted files, so they are quoted with their odd bytes escaped.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include "../load_result.hpp"

namespace ctnn::io::detail {

inline LoadResult failure(LoadErrorKind kind, std::string_view source, const std::string& what) {
    return {kind, "ctnn: " + std::string(source) + ": " + what};
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

/// "[256, 784]"
template <class Int>
std::string shape_text(std::span<const Int> dims) {
    std::string out = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
    return out + "]";
}

}  // namespace ctnn::io::detail
