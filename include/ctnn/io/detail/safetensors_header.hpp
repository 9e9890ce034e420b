#pragma once
// The safetensors container, checked against the format alone (what the file must hold comes
// later, in tensor_match.hpp): an 8-byte little-endian header length, a JSON header
//   {"__metadata__": {"k": "v", ...}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...}
// and a data section whose bytes [b, e) belong to exactly one tensor each: no overlaps, no
// holes, nothing past the end. Returns errors; never throws (but for allocation).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "../load_result.hpp"
#include "dtype.hpp"
#include "json.hpp"
#include "little_endian.hpp"
#include "message.hpp"

namespace ctnn::io {

/// Largest header ctnn reads (the limit of the reference implementation): a length above it
/// is almost always a file that is not safetensors at all.
inline constexpr std::uint64_t safetensors_max_header_bytes = 100'000'000;

namespace detail {

/// Tensors have at most this many dimensions (PyTorch's own limit is lower).
inline constexpr std::size_t safetensors_max_rank = 64;

struct HeaderTensor {
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0, end = 0;  // bytes of the data section: [begin, end)
};

struct Header {
    std::vector<HeaderTensor> tensors;                      // in file order
    std::map<std::string, std::size_t, std::less<>> index;  // name -> position in tensors
    std::map<std::string, std::string> metadata;             // "__metadata__"
};

inline std::string offsets_text(const HeaderTensor& t) {
    std::string s(1, '[');  // appended: g++ 12 sees a false -Wstringop-overflow in "[" + ...
    s += std::to_string(t.begin);
    s += ", ";
    s += std::to_string(t.end);
    s += ')';
    return s;
}

/// Reads the length prefix of a file of `total` bytes whose first min(8, total) bytes are at
/// `first`; on success `length` is the header's byte count, and 8 + length <= total.
inline LoadResult read_header_length(std::string_view source, std::uint64_t total, const std::byte* first,
                                     std::uint64_t& length) {
    if (total < 8)
        return failure(LoadErrorKind::truncated, source,
                       "truncated: the file has " + std::to_string(total) +
                           " bytes, but a safetensors file starts with an 8-byte header length");
    length = load_le64(first);
    if (length > safetensors_max_header_bytes)
        return failure(LoadErrorKind::header_too_big, source,
                       "the header length field says " + std::to_string(length) + " bytes, above the limit of " +
                           std::to_string(safetensors_max_header_bytes) + " (is this a safetensors file?)");
    if (length > total - 8)
        return failure(LoadErrorKind::truncated, source,
                       "truncated: the header length field says " + std::to_string(length) + " bytes but only " +
                           std::to_string(total - 8) + " follow it");
    return {};
}

namespace header_parse {

inline LoadResult tensor_entry(std::string_view source, json::Reader& r, HeaderTensor& t) {
    const std::string who = "tensor " + quote_name(t.name);
    const auto bad = [&](const std::string& what) { return failure(LoadErrorKind::invalid_header, source, who + ": " + what); };
    if (r.peek() != json::Kind::object)
        return bad("expected an object {\"dtype\", \"shape\", \"data_offsets\"}, found " +
                   std::string(json::kind_name(r.peek())));
    r.begin_object();
    bool has_dtype = false, has_shape = false, has_offsets = false;
    std::string key, text;
    while (r.next_member(key)) {
        if (key == "dtype") {
            if (has_dtype) return bad("\"dtype\" appears twice");
            has_dtype = true;
            if (r.peek() != json::Kind::string) return bad("\"dtype\" must be a string such as \"F32\"");
            r.read_string(text);
            const DtypeInfo* d = find_dtype(text);
            if (!d)
                return failure(LoadErrorKind::unsupported_dtype, source,
                               who + ": unknown dtype " + quote_name(text) + " (ctnn reads F32, F16, BF16 and F64)");
            t.dtype = d->dtype;
        } else if (key == "shape") {
            if (has_shape) return bad("\"shape\" appears twice");
            has_shape = true;
            if (!r.begin_array()) return bad("\"shape\" must be an array of non-negative integers");
            while (r.next_element()) {
                std::uint64_t dim;
                if (!r.read_uint(dim)) return bad("\"shape\" must be an array of non-negative integers");
                if (t.shape.size() == safetensors_max_rank)
                    return bad("\"shape\" has more than " + std::to_string(safetensors_max_rank) + " dimensions");
                t.shape.push_back(dim);
            }
        } else if (key == "data_offsets") {
            if (has_offsets) return bad("\"data_offsets\" appears twice");
            has_offsets = true;
            const char* form = "\"data_offsets\" must be [begin, end]: two non-negative integers";
            std::uint64_t v[2];
            if (!r.begin_array()) return bad(form);
            for (auto& x : v)
                if (!r.next_element() || !r.read_uint(x)) return bad(form);
            if (r.next_element() || r.failed()) return bad(form);
            t.begin = v[0];
            t.end = v[1];
        } else {
            return bad("unknown key " + quote_name(key) + " (a tensor has \"dtype\", \"shape\" and \"data_offsets\")");
        }
    }
    if (r.failed()) return bad("malformed entry");
    if (!has_dtype) return bad("no \"dtype\"");
    if (!has_shape) return bad("no \"shape\"");
    if (!has_offsets) return bad("no \"data_offsets\"");
    return {};
}

inline LoadResult metadata(std::string_view source, json::Reader& r, Header& h) {
    const auto bad = [&](const std::string& what) {
        return failure(LoadErrorKind::invalid_header, source, "\"__metadata__\" " + what);
    };
    if (r.peek() != json::Kind::object) return bad("must be an object of strings");
    r.begin_object();
    std::string key, value;
    while (r.next_member(key)) {
        if (r.peek() != json::Kind::string)
            return bad("must be an object of strings: " + quote_name(key) + " is " + json::kind_name(r.peek()));
        r.read_string(value);
        if (!h.metadata.emplace(key, value).second) return bad("has " + quote_name(key) + " twice");
    }
    if (r.failed()) return bad("is malformed");
    return {};
}

/// Bytes a tensor of this dtype and shape needs; false if that overflows 64 bits.
inline bool tensor_bytes(const HeaderTensor& t, std::uint64_t& bytes) noexcept {
    bytes = dtype_info(t.dtype).size;
    if (std::find(t.shape.begin(), t.shape.end(), std::uint64_t{0}) != t.shape.end()) {
        bytes = 0;
        return true;
    }
    for (const std::uint64_t d : t.shape) {
        if (bytes > UINT64_MAX / d) return false;
        bytes *= d;
    }
    return true;
}

/// Every byte of the data section in exactly one tensor.
inline LoadResult layout(std::string_view source, const Header& h, std::uint64_t data_bytes) {
    std::vector<const HeaderTensor*> order;
    order.reserve(h.tensors.size());
    for (const auto& t : h.tensors) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](const HeaderTensor* a, const HeaderTensor* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t covered = 0;  // bytes [0, covered) belong to the tensors seen so far
    const HeaderTensor* prev = nullptr;
    for (const HeaderTensor* t : order) {
        if (t->begin < covered)
            return failure(LoadErrorKind::bad_offsets, source,
                           "tensors " + quote_name(prev->name) + " (bytes " + offsets_text(*prev) + ") and " +
                               quote_name(t->name) + " (bytes " + offsets_text(*t) + ") overlap");
        if (t->begin > covered)
            return failure(LoadErrorKind::bad_offsets, source,
                           "bytes [" + std::to_string(covered) + ", " + std::to_string(t->begin) +
                               ") of the data section belong to no tensor (a hole " +
                               (prev ? "between " + quote_name(prev->name) + " and " : std::string("before ")) +
                               quote_name(t->name) + ")");
        covered = t->end;
        prev = t;
    }
    if (covered < data_bytes)
        return failure(LoadErrorKind::bad_offsets, source,
                       "bytes [" + std::to_string(covered) + ", " + std::to_string(data_bytes) +
                           ") at the end of the data section belong to no tensor (a hole" +
                           (prev ? " after " + quote_name(prev->name) : std::string()) + ")");
    return {};
}

}  // namespace header_parse

/// Parses the JSON header of a file whose data section (what follows the header) has
/// data_bytes bytes, and checks it against the format: schema, known dtypes, offsets that match
/// each shape and tile the data section exactly.
inline LoadResult parse_header(std::string_view source, std::string_view text, std::uint64_t data_bytes, Header& h) {
    json::Reader r(text);
    if (!json::validate(r))
        return failure(LoadErrorKind::invalid_json, source, "the header is not valid JSON: " + r.error());
    if (text.empty() || text[0] != '{')
        return failure(LoadErrorKind::invalid_header, source,
                       "the header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}, "
                       "starting with '{'");
    r.begin_object();
    bool has_metadata = false;
    std::string key;
    while (r.next_member(key)) {
        if (key == "__metadata__") {
            if (has_metadata)
                return failure(LoadErrorKind::invalid_header, source, "\"__metadata__\" appears twice");
            has_metadata = true;
            if (auto e = header_parse::metadata(source, r, h); !e) return e;
            continue;
        }
        if (!h.index.emplace(key, h.tensors.size()).second)
            return failure(LoadErrorKind::invalid_header, source, "tensor " + quote_name(key) + " appears twice");
        HeaderTensor& t = h.tensors.emplace_back();
        t.name = key;
        if (auto e = header_parse::tensor_entry(source, r, t); !e) return e;
        const std::string who = "tensor " + quote_name(t.name) + ": ";
        std::uint64_t bytes;
        if (!header_parse::tensor_bytes(t, bytes))
            return failure(LoadErrorKind::bad_offsets, source,
                           who + "shape " + shape_text<std::uint64_t>(t.shape) + " is too large");
        if (t.end < t.begin || t.end - t.begin != bytes)
            return failure(LoadErrorKind::bad_offsets, source,
                           who + "shape " + shape_text<std::uint64_t>(t.shape) + " of " +
                               std::string(dtype_info(t.dtype).name) + " needs " + std::to_string(bytes) +
                               " bytes, but data_offsets are [" + std::to_string(t.begin) + ", " +
                               std::to_string(t.end) + "]");
        if (t.end > data_bytes)
            return failure(LoadErrorKind::bad_offsets, source,
                           who + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                               "] run past the end of the file: its data section has " + std::to_string(data_bytes) +
                               " bytes (a truncated file?)");
    }
    if (r.failed()) return failure(LoadErrorKind::invalid_header, source, "malformed header: " + r.error());
    return header_parse::layout(source, h, data_bytes);
}

}  // namespace detail
}  // namespace ctnn::io
