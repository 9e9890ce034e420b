#pragma once
// The definitions of idx.hpp's readers, and the zlib file they read through: included by idx.hpp,
// or only by <ctnn/io/implementation.hpp> when the I/O is compiled once (detail/linkage.hpp).
#include <zlib.h>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include "../error.hpp"
#include "../idx.hpp"
#include "linkage.hpp"

namespace ctnn::io {

namespace detail {

inline std::string quoted(const std::filesystem::path& p) {
    std::string s(1, '\'');  // appended, not "'" + ...: g++ 12 gives a false -Wrestrict on that
    s += p.string();
    s += '\'';
    return s;
}

[[noreturn]] inline void fail(const std::filesystem::path& file, const std::string& what) {
    throw Error(quoted(file) + ": " + what);
}

/// A file read through zlib (gzip or plain), closed on scope exit.
class ZFile {
public:
    explicit ZFile(const std::filesystem::path& path) : path_(path) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) fail(path, "no such file");
        f_ = gzopen(path.c_str(), "rb");
        if (!f_) fail(path, "cannot open for reading");
        gzbuffer(f_, 1u << 17);  // fewer, larger reads than zlib's 8 KiB default
    }
    ZFile(const ZFile&) = delete;
    ZFile& operator=(const ZFile&) = delete;
    ~ZFile() { gzclose(f_); }

    /// Reads up to n bytes; fewer only at the end of the data. Corrupt gzip data throws.
    std::size_t read(void* out, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const auto chunk = unsigned(std::min<std::size_t>(n - got, 1u << 30));  // gzread takes an unsigned
            const int r = gzread(f_, static_cast<char*>(out) + got, chunk);
            if (r < 0) corrupt();
            if (r == 0) break;
            got += std::size_t(r);
        }
        int code = Z_OK;
        gzerror(f_, &code);
        if (code != Z_OK && code != Z_BUF_ERROR) corrupt();  // Z_BUF_ERROR: a truncated stream, reported by the caller
        return got;
    }
    /// True when the bytes come uncompressed from the file (valid after the first read).
    bool plain() const noexcept { return gzdirect(f_) == 1; }

private:
    [[noreturn]] void corrupt() {
        int code = Z_OK;
        const char* msg = gzerror(f_, &code);
        fail(path_, std::string("corrupt gzip data (zlib: ") + (msg ? msg : "unknown error") + ")");
    }
    std::filesystem::path path_;
    gzFile f_ = nullptr;
};

inline std::uint32_t big_endian(const unsigned char* p) noexcept {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
}

inline std::string hex32(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 15];
    return s;
}

/// Reads the header of an IDX file of unsigned bytes with Rank dimensions, checking the magic.
template <std::size_t Rank>
std::array<std::size_t, Rank> read_header(ZFile& in, const std::filesystem::path& file, std::uint32_t magic,
                                          const char* kind) {
    unsigned char h[4 + 4 * Rank];
    const std::size_t got = in.read(h, sizeof h);
    if (got < 4)
        fail(file, "truncated: " + std::to_string(got) + " bytes, too short for an IDX header (expected " + kind + ")");
    const std::uint32_t m = big_endian(h);
    if (m != magic) {
        std::string what = "wrong magic number " + hex32(m) + " (" + std::to_string(m) + "), expected " + hex32(magic) +
                           " (" + std::to_string(magic) + ": " + kind + ")";
        if (m == idx_images_magic) what += "; this is an IDX image file";
        if (m == idx_labels_magic) what += "; this is an IDX label file";
        fail(file, what);
    }
    if (got < sizeof h)
        fail(file, "truncated: the IDX header of " + std::string(kind) + " needs " + std::to_string(sizeof h) +
                       " bytes, the file has " + std::to_string(got));
    std::array<std::size_t, Rank> dims{};
    for (std::size_t d = 0; d < Rank; ++d) dims[d] = big_endian(h + 4 + 4 * d);
    return dims;
}

/// Reads exactly `bytes` of payload after the header: a shorter file is truncated, a longer one
/// is not what its header says. A lying header cannot make us allocate much more than the data.
inline std::vector<std::uint8_t> read_payload(ZFile& in, const std::filesystem::path& file, std::size_t header_bytes,
                                              std::size_t bytes, const std::string& what) {
    const auto expected_total = std::to_string(header_bytes + bytes);
    if (in.plain()) {  // the size is known up front: compare before allocating
        std::error_code ec;
        const auto size = std::size_t(std::filesystem::file_size(file, ec));
        if (!ec && size < header_bytes + bytes)
            fail(file, "truncated: the header announces " + what + ", " + expected_total + " bytes in all, the file has " +
                           std::to_string(size));
    }
    std::vector<std::uint8_t> data;
    std::size_t got = 0;
    constexpr std::size_t step = std::size_t(64) << 20;  // grow by 64 MiB at most beyond what has been read
    while (got < bytes) {
        data.resize(std::min(bytes, got + std::max(step, got)));
        const std::size_t want = data.size() - got;
        const std::size_t r = in.read(data.data() + got, want);
        got += r;
        if (r < want) break;
    }
    if (got < bytes)
        fail(file, "truncated: the header announces " + what + ", " + expected_total + " bytes in all, the data ends after " +
                       std::to_string(header_bytes + got));
    unsigned char extra;
    if (in.read(&extra, 1) != 0)
        fail(file, "longer than its header says: expected " + what + ", " + expected_total + " bytes in all");
    return data;
}

inline void check_product(const std::filesystem::path& file, std::size_t a, std::size_t b, std::size_t c) {
    // Dimensions are 32-bit, so a * b fits in 64 bits; only the second product can overflow.
    if (b * c != 0 && a > SIZE_MAX / (b * c)) fail(file, "dimensions too large");
}

}  // namespace detail

CTNN_IO_INLINE IdxImages read_idx_images(const std::filesystem::path& file) {
    detail::ZFile in(file);
    const auto [count, rows, cols] = detail::read_header<3>(in, file, idx_images_magic, "IDX images");
    if (rows == 0 || cols == 0)
        detail::fail(file, "images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                               " pixels: expected both dimensions positive");
    detail::check_product(file, count, rows, cols);
    IdxImages out{file, count, rows, cols, {}};
    out.pixels = detail::read_payload(
        in, file, 16, count * rows * cols,
        std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols) + " bytes");
    return out;
}

CTNN_IO_INLINE IdxLabels read_idx_labels(const std::filesystem::path& file) {
    detail::ZFile in(file);
    const auto [count] = detail::read_header<1>(in, file, idx_labels_magic, "IDX labels");
    return {file, detail::read_payload(in, file, 8, count, std::to_string(count) + " one-byte labels")};
}

CTNN_IO_INLINE IdxDataset read_idx_dataset(const std::filesystem::path& images_file,
                                           const std::filesystem::path& labels_file, std::size_t sample_size,
                                           std::size_t classes) {
    IdxDataset d{read_idx_images(images_file), read_idx_labels(labels_file)};
    const IdxImages& im = d.images;
    if (im.sample_size() != sample_size)
        detail::fail(images_file, "images are " + std::to_string(im.rows) + "x" + std::to_string(im.cols) + " = " +
                                      std::to_string(im.sample_size()) + " values each, expected " +
                                      std::to_string(sample_size) + " (the model's input size)");
    if (d.labels.count() != im.count)
        detail::fail(labels_file, "holds " + std::to_string(d.labels.count()) + " labels but " +
                                      detail::quoted(images_file) + " holds " + std::to_string(im.count) +
                                      " images: expected one label per image");
    const auto& labels = d.labels.labels;
    const auto bad = std::find_if(labels.begin(), labels.end(), [&](std::uint8_t l) { return l >= classes; });
    if (bad != labels.end())
        detail::fail(labels_file, "label " + std::to_string(*bad) + " at index " +
                                      std::to_string(bad - labels.begin()) + " is out of range: expected 0 to " +
                                      std::to_string(classes - 1) + " (the model has " + std::to_string(classes) +
                                      " classes)");
    return d;
}

CTNN_IO_INLINE std::filesystem::path find_idx_file(const std::filesystem::path& dir, std::string_view name) {
    std::error_code ec;
    for (const char* suffix : {"", ".gz"}) {
        auto p = dir / (std::string(name) + suffix);
        if (std::filesystem::is_regular_file(p, ec)) return p;
    }
    throw Error(detail::quoted(dir) + ": neither " + std::string(name) + " nor " + std::string(name) +
                ".gz found (expected an MNIST-layout folder)");
}

CTNN_IO_INLINE IdxDataset read_idx_folder(const std::filesystem::path& dir, std::string_view prefix,
                                          std::size_t sample_size, std::size_t classes) {
    const std::string p(prefix);
    const auto images = find_idx_file(dir, p + "-images-idx3-ubyte");  // images first: the error names them
    const auto labels = find_idx_file(dir, p + "-labels-idx1-ubyte");
    return read_idx_dataset(images, labels, sample_size, classes);
}

}  // namespace ctnn::io
