#pragma once
// Writing safetensors: tensor blocks as F32 with their metadata, in memory (serialize), and a
// file written through a temporary renamed into place (write_atomically), so that an existing
// file is only ever replaced by a complete one. Failures are SaveResults; nothing throws (but
// for allocation).
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include "../save_result.hpp"
#include "../tensor_table.hpp"
#include "dtype.hpp"
#include "json.hpp"
#include "linkage.hpp"
#include "little_endian.hpp"
#include "message.hpp"

namespace ctnn::io::detail {

inline std::uint64_t stored_size(Stored s) noexcept { return s == Stored::count ? 8 : s == Stored::int8 ? 1 : 4; }

/// Refuses what would make a file that cannot be read back: metadata or names that are not
/// UTF-8, one name twice, NaN or infinite values.
inline SaveResult check_saveable(std::string_view source, std::span<const TensorBlock<const float>> blocks,
                                 const Metadata& metadata) {
    for (const auto& [k, v] : metadata)
        if (!json::is_valid_utf8(k) || !json::is_valid_utf8(v))
            return failure(SaveErrorKind::invalid_metadata, source,
                           "metadata " + quote_name(k) + " is not valid UTF-8 (safetensors headers are UTF-8 JSON)");
    std::set<std::string, std::less<>> names;
    for (const auto& block : blocks) {
        for (const auto& t : block.tensors) {
            const std::string name = block.prefix + t.name;
            if (!json::is_valid_utf8(name) || name == "__metadata__")
                return failure(SaveErrorKind::invalid_table, source,
                               "tensor name " + quote_name(name) + " cannot be saved (it must be UTF-8, and not "
                               "\"__metadata__\")");
            if (!names.insert(name).second)
                return failure(SaveErrorKind::invalid_table, source, "two tensors to save are named " + quote_name(name));
            const std::size_t n = t.size();
            for (std::size_t i = 0; i < n; ++i)
                if (!is_finite(t.data[i]))
                    return failure(SaveErrorKind::not_finite, source,
                                   "tensor " + quote_name(name) + ": element " + element_text(t.shape, i) + " is " +
                                       bad_value_text(t.data[i]) + "; refusing to write a file that could not be loaded back");
                else if (t.stored == Stored::int8 && (t.data[i] != float(std::int8_t(t.data[i])) || t.data[i] < -128.0f || t.data[i] > 127.0f))
                    return failure(SaveErrorKind::invalid_table, source,
                                   "tensor " + quote_name(name) + ": element " + element_text(t.shape, i) + " is " +
                                       bad_value_text(t.data[i]) + ", not an int8");
        }
    }
    return {};
}

/// The safetensors file of `blocks` (F32, counts I64, int8 weights I8, in block order) with `metadata` and "format": "pt".
/// `source` names the destination in messages ("" for none).
CTNN_IO_INLINE SaveResult serialize(std::string_view source, std::span<const TensorBlock<const float>> blocks,
                                    const Metadata& user_metadata, std::vector<std::byte>& out) {
    if (auto e = check_saveable(source, blocks, user_metadata); !e) return e;
    Metadata metadata = user_metadata;
    metadata.emplace("format", "pt");  // what PyTorch-side readers (transformers, safe_open) look for

    std::string header = "{\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
        if (!first) header += ',';
        first = false;
        json::append_string(header, k);
        header += ':';
        json::append_string(header, v);
    }
    header += '}';
    std::uint64_t offset = 0;
    for (const auto& block : blocks) {
        for (const auto& t : block.tensors) {
            const std::uint64_t bytes = stored_size(t.stored) * std::uint64_t(t.size());
            std::string shape;
            for (std::size_t d = 0; d < t.shape.size(); ++d) {
                if (d) shape += ',';
                shape += std::to_string(t.shape[d]);  // appended: "," + to_string gives g++ 12 a false -Wstringop-overflow
            }
            header += ',';
            json::append_string(header, block.prefix + t.name);
            header += std::string(":{\"dtype\":\"") + stored_dtype(t.stored) + "\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(offset) +
                      "," + std::to_string(offset + bytes) + "]}";
            offset += bytes;
        }
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');  // the data starts 8-byte aligned, as other writers do

    out.assign(8 + header.size() + offset, std::byte{0});
    store_le64(out.data(), header.size());
    std::memcpy(out.data() + 8, header.data(), header.size());
    std::byte* p = out.data() + 8 + header.size();
    for (const auto& block : blocks)
        for (const auto& t : block.tensors)
            for (std::size_t i = 0; i < t.size(); ++i) {
                if (t.stored == Stored::count) {  // a count held as a float: whole and not negative
                    store_le64(p, std::uint64_t(std::max(0.0f, t.data[i])));
                    p += 8;
                } else if (t.stored == Stored::int8) {  // an int8 held as a float (check_saveable: in range)
                    *p++ = std::byte(std::uint8_t(std::int8_t(t.data[i])));
                } else {
                    store_le32(p, std::bit_cast<std::uint32_t>(t.data[i]));
                    p += 4;
                }
            }
    return {};
}

/// Writes `bytes` to `path.partial`, then renames it to `path`; on failure removes the partial
/// file and says which step failed and why.
inline SaveResult write_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    const std::string source = path.string();
    std::filesystem::path partial = path;
    partial += ".partial";
    const auto fail = [&](const std::string& what, int err) {
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        return failure(SaveErrorKind::file, source, what + (err ? std::string(": ") + std::strerror(err) : ""));
    };
    errno = 0;
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out) {
            const int err = errno;  // before building the message, which may allocate
            return fail("cannot open " + partial.string() + " for writing", err);
        }
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (const int err = errno; !out) return fail("write failed", err);
    }
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec) return fail("cannot rename the written file into place: " + ec.message(), 0);
    return {};
}

/// What write_atomically needs, tried without writing `path`: `path.partial` can be created (it
/// is removed again) and `path` is not a directory.
CTNN_IO_INLINE SaveResult check_writable(const std::filesystem::path& path) {
    const std::string source = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return failure(SaveErrorKind::file, source, "is a directory; a file name is needed to save to");
    std::filesystem::path partial = path;
    partial += ".partial";
    errno = 0;
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) {
        const int err = errno;
        return failure(SaveErrorKind::file, source,
                       "cannot be written: cannot create " + partial.string() + (err ? std::string(": ") + std::strerror(err) : ""));
    }
    out.close();
    std::filesystem::remove(partial, ec);
    return {};
}

/// serialize, then write_atomically.
CTNN_IO_INLINE SaveResult save_tensors_to_file(const std::filesystem::path& path,
                                               std::span<const TensorBlock<const float>> blocks,
                                               const Metadata& metadata) {
    std::vector<std::byte> bytes;
    if (auto e = serialize(path.string(), blocks, metadata, bytes); !e) return e;
    return write_atomically(path, bytes);
}

}  // namespace ctnn::io::detail
