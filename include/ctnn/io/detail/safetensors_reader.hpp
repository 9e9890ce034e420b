#pragma once
// The one load pipeline, for a file and for bytes in memory alike: the length prefix, the header
// (parsed and checked against the format), the header against the expected tensors and the
// metadata check, and only then the data, converted and committed all or nothing. A file is read
// in these same steps, so a file that does not fit is refused before its data is read, and what
// is read is then at most 8 bytes per expected float.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>
#include "../load_result.hpp"
#include "../tensor_table.hpp"
#include "linkage.hpp"
#include "message.hpp"
#include "safetensors_header.hpp"
#include "tensor_match.hpp"

namespace ctnn::io::detail {

/// Bytes handed out in consecutive parts.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual std::uint64_t size() const noexcept = 0;
    /// The next n bytes (n at most what is left), valid until the next call; false if they
    /// cannot be read (a file that shrank while being read).
    virtual bool next(std::uint64_t n, std::span<const std::byte>& part) = 0;
};

/// Bytes already in memory: parts are views of them, nothing is copied.
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}
    std::uint64_t size() const noexcept override { return bytes_.size(); }
    bool next(std::uint64_t n, std::span<const std::byte>& part) override {
        if (n > bytes_.size() - read_) return false;
        part = bytes_.subspan(read_, static_cast<std::size_t>(n));
        read_ += static_cast<std::size_t>(n);
        return true;
    }

private:
    std::span<const std::byte> bytes_;
    std::size_t read_ = 0;
};

/// A file, read part by part into one buffer.
class FileSource final : public ByteSource {
public:
    /// Opens a regular file, or says why not.
    LoadResult open(const std::filesystem::path& path) {
        const std::string source = path.string();
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (status.type() == std::filesystem::file_type::not_found)
            return failure(LoadErrorKind::file, source, "cannot open: no such file");
        if (ec) return failure(LoadErrorKind::file, source, "cannot open: " + ec.message());
        if (!std::filesystem::is_regular_file(status))
            return failure(LoadErrorKind::file, source, "cannot open: not a regular file");
        size_ = std::filesystem::file_size(path, ec);
        if (ec) return failure(LoadErrorKind::file, source, "cannot read its size: " + ec.message());
        in_.open(path, std::ios::binary);
        if (!in_) return failure(LoadErrorKind::file, source, "cannot open for reading");
        return {};
    }

    std::uint64_t size() const noexcept override { return size_; }

    bool next(std::uint64_t n, std::span<const std::byte>& part) override {
        buffer_.clear();  // the previous part is no longer needed: at most one part is held
        buffer_.shrink_to_fit();
        buffer_.resize(static_cast<std::size_t>(n));
        in_.read(reinterpret_cast<char*>(buffer_.data()), static_cast<std::streamsize>(n));
        part = buffer_;
        return in_.good() || (in_.eof() && std::uint64_t(in_.gcount()) == n);
    }

private:
    std::ifstream in_;
    std::uint64_t size_ = 0;
    std::vector<std::byte> buffer_;
};

/// Loads the tensors of `blocks` from `in`; `source` names it in messages. On failure no
/// destination is touched.
inline LoadResult load_tensors_from(ByteSource& in, std::string_view source, std::span<const TensorBlock<float>> blocks,
                                    const LoadOptions& options) {
    const auto changed = [&] { return failure(LoadErrorKind::truncated, source, "truncated while being read"); };
    const std::uint64_t total = in.size();
    std::span<const std::byte> part;
    if (!in.next(std::min<std::uint64_t>(total, 8), part)) return changed();
    std::uint64_t length = 0;
    if (auto e = read_header_length(source, total, part.data(), length); !e) return e;
    if (!in.next(length, part)) return changed();
    const std::uint64_t data_bytes = total - 8 - length;
    Header h;
    if (auto e = parse_header(source, {reinterpret_cast<const char*>(part.data()), part.size()}, data_bytes, h); !e)
        return e;
    std::vector<Placement> plan;
    std::size_t staged_floats = 0;
    if (auto e = match_tensors(source, h, blocks, plan, staged_floats); !e) return e;
    if (options.check_metadata)
        if (std::string why = options.check_metadata(h.metadata); !why.empty())
            return failure(LoadErrorKind::wrong_model, source, why);
    // Every byte now belongs to an expected tensor, so data_bytes <= 8 * staged_floats.
    if (!in.next(data_bytes, part)) return changed();
    std::vector<float> staged;
    if (auto e = convert_tensors(source, h, plan, staged_floats, part, staged); !e) return e;
    if (options.metadata) *options.metadata = std::move(h.metadata);
    commit(plan, staged);
    return {};
}

CTNN_IO_INLINE LoadResult load_tensors_from_file(const std::filesystem::path& path,
                                                 std::span<const TensorBlock<float>> blocks, const LoadOptions& options) {
    FileSource in;
    if (auto e = in.open(path); !e) return e;
    return load_tensors_from(in, path.string(), blocks, options);
}

CTNN_IO_INLINE LoadResult load_tensors_from_bytes(std::span<const std::byte> bytes, std::string_view source,
                                                  std::span<const TensorBlock<float>> blocks,
                                                  const LoadOptions& options) {
    MemorySource in(bytes);
    return load_tensors_from(in, source, blocks, options);
}

}  // namespace ctnn::io::detail
