#pragma once
// A small strict JSON reader (RFC 8259) for safetensors headers, and the string escaping their
// writer needs. It is a pull reader: the caller walks the header against its schema and keeps
// only what it needs, so a hostile 100 MB header costs no more memory than its text. There is one
// implementation of each grammar rule, in Reader's primitives; validate() is a client of them
// (skip_value over the whole text), run first so that "not JSON" and "JSON of the wrong shape"
// get different messages. Nesting is capped, so skip_value's recursion stays bounded; every byte
// access is bounds-checked, and errors are returned, never thrown (the loader has a no-throw
// variant).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
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

enum class Kind { object, array, string, number, boolean, null, none };

inline const char* kind_name(Kind k) noexcept {
    switch (k) {
        case Kind::object: return "an object";
        case Kind::array: return "an array";
        case Kind::string: return "a string";
        case Kind::number: return "a number";
        case Kind::boolean: return "a boolean";
        case Kind::null: return "null";
        case Kind::none: break;
    }
    return "nothing";
}

/// Reads one value at a time. Each primitive checks the syntax of what it reads and, on an
/// error, records the first one (what was expected, what was found, at which byte) and returns
/// false; after that, primitives keep returning false. Containers nest at most max_depth deep.
class Reader {
public:
    static constexpr int default_max_depth = 64;

    explicit Reader(std::string_view text, int max_depth = default_max_depth) noexcept
        : s_(text), max_depth_(max_depth) {}

    /// Back to the start of the text, with no error.
    void rewind() noexcept {
        pos_ = 0;
        depth_ = 0;
        first_item_ = false;
        error_.clear();
    }

    /// The kind of the next value, from its first byte (the value itself is checked when read);
    /// none at the end of the text or before a byte that starts no value.
    Kind peek() noexcept {
        skip_ws();
        const int c = next();
        switch (c) {
            case '{': return Kind::object;
            case '[': return Kind::array;
            case '"': return Kind::string;
            case 't':
            case 'f': return Kind::boolean;
            case 'n': return Kind::null;
            default: return c == '-' || is_digit(c) ? Kind::number : Kind::none;
        }
    }

    /// Enters an object; then `while (r.next_member(key)) { read the value }` walks it, and
    /// r.failed() afterwards tells its end from an error.
    bool begin_object() { return open('{'); }
    bool begin_array() { return open('['); }

    /// Reads the next member's key and the ':' after it; false at the end of the object (or on error).
    bool next_member(std::string& key) {
        if (!next_item('}')) return false;
        skip_ws();
        if (next() != '"') return reject("a string key");
        key.clear();
        if (!string(&key)) return false;
        skip_ws();
        if (next() != ':') return reject("':'");
        ++pos_;
        return true;
    }

    /// True if the array has another element (read it next), false at its end (or on error).
    bool next_element() { return next_item(']'); }

    bool read_string(std::string& out) {
        out.clear();
        return string_value(&out);
    }
    bool skip_string() { return string_value(nullptr); }

    /// A number, strictly as RFC 8259 writes it. `is_uint` says whether it is a non-negative
    /// integer without fraction or exponent that fits 64 bits; `value` then holds it.
    bool read_number(std::uint64_t& value, bool& is_uint) {
        value = 0;
        is_uint = false;
        if (failed()) return false;
        skip_ws();
        is_uint = true;
        std::uint64_t ignored = 0;
        bool ignored_fits = true;
        if (next() == '-') {
            ++pos_;
            is_uint = false;
        }
        if (next() == '0') ++pos_;  // no leading zeros: "01" is the number 0, then a stray '1'
        else if (!digits(value, is_uint)) return false;
        if (next() == '.') {
            ++pos_;
            is_uint = false;
            if (!digits(ignored, ignored_fits)) return false;
        }
        if (next() == 'e' || next() == 'E') {
            ++pos_;
            is_uint = false;
            if (next() == '+' || next() == '-') ++pos_;
            if (!digits(ignored, ignored_fits)) return false;
        }
        return true;
    }

    /// A number that must be a non-negative integer up to 2^64 - 1.
    bool read_uint(std::uint64_t& out) {
        const std::size_t start = pos_;
        bool is_uint = false;
        if (!read_number(out, is_uint)) return false;
        if (is_uint) return true;
        pos_ = start;
        return reject("a non-negative integer below 2^64");
    }

    /// true, false or null.
    bool read_literal() {
        if (failed()) return false;
        skip_ws();
        for (const std::string_view word : {"true", "false", "null"}) {
            if (s_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                return true;
            }
        }
        return reject("a value");
    }

    /// True if nothing but whitespace is left.
    bool finish() {
        if (failed()) return false;
        skip_ws();
        return pos_ == s_.size() || fail("unexpected " + found() + " after the JSON value");
    }

    /// Records "expected <what>, found <the next byte>" as the error; returns false.
    bool reject(std::string_view what) { return fail("expected " + std::string(what) + ", found " + found()); }

    bool failed() const noexcept { return !error_.empty(); }
    const std::string& error() const noexcept { return error_; }
    std::size_t position() const noexcept { return pos_; }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
    std::string error_;
    int max_depth_;
    int depth_ = 0;            // containers entered and not yet left
    bool first_item_ = false;  // just entered a container: no ',' before its first item

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

    bool open(char c) {
        if (failed()) return false;
        skip_ws();
        if (next() != c) return reject(c == '{' ? "an object" : "an array");
        if (depth_ == max_depth_)
            return fail("nested too deeply (the limit is " + std::to_string(max_depth_) + " levels)");
        ++pos_;
        ++depth_;
        first_item_ = true;
        return true;
    }

    bool next_item(char close) {
        if (failed()) return false;
        skip_ws();
        if (next() == close) {
            ++pos_;
            --depth_;
            first_item_ = false;
            return false;
        }
        if (!first_item_) {
            if (next() != ',') return reject(std::string("',' or '") + close + "'");
            ++pos_;
        }
        first_item_ = false;
        return true;
    }

    // One or more digits, accumulated into `value` while it fits 64 bits (else `fits` is cleared).
    bool digits(std::uint64_t& value, bool& fits) {
        if (!is_digit(next())) return reject("a digit");
        for (; is_digit(next()); ++pos_) {
            const auto d = static_cast<std::uint64_t>(s_[pos_] - '0');
            if (value > (UINT64_MAX - d) / 10) fits = false;
            else value = value * 10 + d;
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

    bool string_value(std::string* out) {
        if (failed()) return false;
        skip_ws();
        if (next() != '"') return reject("a string");
        return string(out);
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

/// Skips one value of any kind, checking its syntax: every grammar rule is the reader's own.
inline bool skip_value(Reader& r, std::string& scratch) {
    switch (r.peek()) {
        case Kind::object:
            if (!r.begin_object()) return false;
            while (r.next_member(scratch))
                if (!skip_value(r, scratch)) return false;
            return !r.failed();
        case Kind::array:
            if (!r.begin_array()) return false;
            while (r.next_element())
                if (!skip_value(r, scratch)) return false;
            return !r.failed();
        case Kind::string: return r.skip_string();
        case Kind::number: {
            std::uint64_t value;
            bool is_uint;
            return r.read_number(value, is_uint);
        }
        case Kind::boolean:
        case Kind::null: return r.read_literal();
        case Kind::none: break;
    }
    return r.reject("a value");
}

/// True if the whole text is exactly one JSON value, with whitespace around it only; then
/// rewinds, so the caller walks a text known to be JSON. On false, r.error() says what and where.
inline bool validate(Reader& r) {
    r.rewind();
    std::string scratch;
    if (!skip_value(r, scratch) || !r.finish()) return false;
    r.rewind();
    return true;
}

}  // namespace ctnn::io::detail::json
