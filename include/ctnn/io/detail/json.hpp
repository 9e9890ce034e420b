#pragma once
// A small strict JSON reader (RFC 8259) for safetensors headers, and the string escaping their
// writer needs. It is a pull parser: the caller walks the header against its schema and keeps
// only what it needs, so a hostile 100 MB header costs no more memory than its text. validate()
// checks the whole text first, so "not JSON" and "JSON of the wrong shape" get different
// messages, and caps nesting so that recursion stays bounded. Every byte access is
// bounds-checked and errors are returned, never thrown (the loader has a no-throw variant).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ctnn::io::detail::json {

/// Length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if it is
/// not one: overlong forms, UTF-16 surrogates and code points above U+10FFFF are refused.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    const unsigned c = at(0);
    const auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
        const unsigned b = at(k);
        return b >= lo && b <= hi;
    };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

inline bool is_valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
        } else {
            const std::size_t n = utf8_sequence_length(s, i);
            if (n == 0) return false;
            i += n;
        }
    }
    return true;
}

/// Appends s as a JSON string literal. s must be valid UTF-8 (check with is_valid_utf8).
inline void append_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    out += '"';
}

enum class Kind { object, array, string, number, boolean, null, end };

inline const char* kind_name(Kind k) noexcept {
    switch (k) {
        case Kind::object: return "an object";
        case Kind::array: return "an array";
        case Kind::string: return "a string";
        case Kind::number: return "a number";
        case Kind::boolean: return "a boolean";
        case Kind::null: return "null";
        case Kind::end: break;
    }
    return "nothing";
}

class Reader {
public:
    explicit Reader(std::string_view text) noexcept : s_(text) {}

    /// True if the text is exactly one JSON value, with whitespace around it only, nested at most
    /// max_depth arrays/objects deep. Rewinds to the start. On false, error() says what and where.
    bool validate(int max_depth = 64) {
        pos_ = 0;
        error_.clear();
        max_depth_ = max_depth;
        if (!value(max_depth)) return false;
        skip_ws();
        if (pos_ != s_.size()) return fail("unexpected " + found() + " after the JSON value");
        pos_ = 0;
        return true;
    }

    // The walk below assumes validate() returned true: it reads values, not syntax. It still
    // checks every bound, so misuse gives a wrong answer at worst, never a bad access.

    /// The kind of the next value.
    Kind peek() noexcept {
        skip_ws();
        switch (next()) {
            case '{': return Kind::object;
            case '[': return Kind::array;
            case '"': return Kind::string;
            case 't':
            case 'f': return Kind::boolean;
            case 'n': return Kind::null;
            case -1: return Kind::end;
            default: return Kind::number;
        }
    }

    /// Enters an object; then `while (r.next_member(key)) { read the value }` walks it.
    bool begin_object() { return open('{', "expected an object"); }
    bool begin_array() { return open('[', "expected an array"); }

    /// Reads the next member's key, or returns false at the end of the object (or on error).
    bool next_member(std::string& key) {
        if (!next_item('}')) return false;
        if (!read_string(key)) return false;
        skip_ws();
        if (next() != ':') return fail("expected ':' after an object key");
        ++pos_;
        return true;
    }

    /// True if the array has another element (read it next), false at its end (or on error).
    bool next_element() { return next_item(']'); }

    bool read_string(std::string& out) {
        out.clear();
        skip_ws();
        if (next() != '"') return fail("expected a string");
        return string(&out);
    }

    /// A non-negative integer written without fraction or exponent, up to 2^64 - 1.
    bool read_uint(std::uint64_t& out) {
        skip_ws();
        out = 0;
        if (!is_digit(next())) return fail("expected a non-negative integer");
        while (is_digit(next())) {
            const auto d = static_cast<std::uint64_t>(s_[pos_] - '0');
            if (out > (UINT64_MAX - d) / 10) return fail("integer larger than 2^64 - 1");
            out = out * 10 + d;
            ++pos_;
        }
        const int c = next();
        if (c == '.' || c == 'e' || c == 'E') return fail("expected an integer, found a fraction or exponent");
        return true;
    }

    bool failed() const noexcept { return !error_.empty(); }
    const std::string& error() const noexcept { return error_; }
    std::size_t position() const noexcept { return pos_; }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
    std::string error_;
    bool first_item_ = false;  // just entered a container: no ',' before its first item
    int max_depth_ = 0;

    int next() const noexcept { return pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_]) : -1; }
    static bool is_digit(int c) noexcept { return c >= '0' && c <= '9'; }

    void skip_ws() noexcept {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    bool fail(const std::string& what) {
        if (error_.empty()) error_ = what + " at byte " + std::to_string(pos_) + " of the header";
        return false;
    }

    std::string found() const {
        const int c = next();
        if (c < 0) return "end of text";
        if (c >= 0x20 && c < 0x7F) return std::string("'") + char(c) + "'";
        static constexpr char hex[] = "0123456789abcdef";
        return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
    }

    bool open(char c, const char* what) {
        skip_ws();
        if (next() != c) return fail(what);
        ++pos_;
        first_item_ = true;
        return true;
    }

    bool next_item(char close) {
        skip_ws();
        if (next() == close) {
            ++pos_;
            first_item_ = false;
            return false;
        }
        if (!first_item_) {
            if (next() != ',') return fail(std::string("expected ',' or '") + close + "'");
            ++pos_;
        }
        first_item_ = false;
        return true;
    }

    // ---------------------------------------------------------------- validation

    bool value(int depth) {
        skip_ws();
        switch (next()) {
            case '{': return container(depth, '}');
            case '[': return container(depth, ']');
            case '"': return string(nullptr);
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            case -1: return fail("expected a value, found end of text");
            default:
                if (next() == '-' || is_digit(next())) return number();
                return fail("expected a value, found " + found());
        }
    }

    bool container(int depth, char close) {
        if (depth <= 0) return fail("nested too deeply (the limit is " + std::to_string(max_depth_) + " levels)");
        ++pos_;
        skip_ws();
        if (next() == close) {
            ++pos_;
            return true;
        }
        for (;;) {
            if (close == '}') {
                skip_ws();
                if (next() != '"') return fail("expected a string key, found " + found());
                if (!string(nullptr)) return false;
                skip_ws();
                if (next() != ':') return fail("expected ':', found " + found());
                ++pos_;
            }
            if (!value(depth - 1)) return false;
            skip_ws();
            if (next() == ',') {
                ++pos_;
                continue;
            }
            if (next() == close) {
                ++pos_;
                return true;
            }
            return fail(std::string("expected ',' or '") + close + "', found " + found());
        }
    }

    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return fail("expected a value, found " + found());
        pos_ += word.size();
        return true;
    }

    bool digits() {
        if (!is_digit(next())) return fail("expected a digit, found " + found());
        while (is_digit(next())) ++pos_;
        return true;
    }

    bool number() {
        if (next() == '-') ++pos_;
        if (next() == '0') ++pos_;
        else if (!digits()) return false;
        if (next() == '.') {
            ++pos_;
            if (!digits()) return false;
        }
        if (next() == 'e' || next() == 'E') {
            ++pos_;
            if (next() == '+' || next() == '-') ++pos_;
            if (!digits()) return false;
        }
        return true;
    }

    bool hex4(std::uint32_t& v) {
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const int c = next();
            unsigned d;
            if (c >= '0' && c <= '9') d = unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
            else return fail("expected 4 hex digits after \\u");
            v = v * 16 + d;
            ++pos_;
        }
        return true;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    // At the opening quote; decodes into *out when out is not null.
    bool string(std::string* out) {
        ++pos_;
        for (;;) {
            const int c = next();
            if (c < 0) return fail("unterminated string");
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c < 0x20) return fail("control character in a string (it must be escaped)");
            if (c == '\\') {
                ++pos_;
                const int e = next();
                ++pos_;
                char plain = 0;
                switch (e) {
                    case '"': plain = '"'; break;
                    case '\\': plain = '\\'; break;
                    case '/': plain = '/'; break;
                    case 'b': plain = '\b'; break;
                    case 'f': plain = '\f'; break;
                    case 'n': plain = '\n'; break;
                    case 'r': plain = '\r'; break;
                    case 't': plain = '\t'; break;
                    case 'u': {
                        std::uint32_t cp;
                        if (!hex4(cp)) return false;
                        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("unpaired UTF-16 surrogate in \\u escape");
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                            if (next() != '\\' || pos_ + 1 >= s_.size() || s_[pos_ + 1] != 'u')
                                return fail("unpaired UTF-16 surrogate in \\u escape");
                            pos_ += 2;
                            std::uint32_t low;
                            if (!hex4(low)) return false;
                            if (low < 0xDC00 || low > 0xDFFF) return fail("unpaired UTF-16 surrogate in \\u escape");
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        }
                        if (out) append_utf8(*out, cp);
                        continue;
                    }
                    default: --pos_; return fail("invalid escape in a string");
                }
                if (out) *out += plain;
                continue;
            }
            if (c < 0x80) {
                if (out) *out += char(c);
                ++pos_;
                continue;
            }
            const std::size_t n = utf8_sequence_length(s_, pos_);
            if (n == 0) return fail("invalid UTF-8 in a string");
            if (out) out->append(s_.substr(pos_, n));
            pos_ += n;
        }
    }
};

}  // namespace ctnn::io::detail::json
