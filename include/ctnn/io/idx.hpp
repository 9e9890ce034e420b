#pragma once
// IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (magic, then one 32-bit
// size per dimension) followed by unsigned bytes. Images (magic 2051: count x rows x cols) and
// labels (2049: count) are read plain or gzip-compressed (zlib reads both through one API, so
// the compression is detected from the content, not the file name). Images stay bytes in
// memory, a quarter of their float size; ctnn::train converts them per batch.
//
// Needs zlib: link the CMake target ctnn::io (ctnn::ctnn plus ZLIB::ZLIB), or add -lz.
// Every problem with a file throws ctnn::io::Error naming the file and what was expected.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>
#include "detail/linkage.hpp"
#include "error.hpp"

namespace ctnn::io {

inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // 2051: unsigned bytes, 3 dimensions
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // 2049: unsigned bytes, 1 dimension

/// count images of rows x cols bytes, row-major, in file order.
struct IdxImages {
    std::filesystem::path file;
    std::size_t count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels;
    std::size_t sample_size() const noexcept { return rows * cols; }
};

struct IdxLabels {
    std::filesystem::path file;
    std::vector<std::uint8_t> labels;
    std::size_t count() const noexcept { return labels.size(); }
};

/// Images with one label each, checked against a model: what training and evaluation read.
struct IdxDataset {
    IdxImages images;
    IdxLabels labels;
    std::size_t size() const noexcept { return labels.count(); }
};

/// Reads an IDX image file (magic 2051), plain or gzip.
CTNN_IO_INLINE IdxImages read_idx_images(const std::filesystem::path& file);

/// Reads an IDX label file (magic 2049), plain or gzip.
CTNN_IO_INLINE IdxLabels read_idx_labels(const std::filesystem::path& file);

/// Reads images and their labels and checks them against a model: one label per image, every
/// label below `classes`, and rows x cols == `sample_size` (the model's input size).
CTNN_IO_INLINE IdxDataset read_idx_dataset(const std::filesystem::path& images_file,
                                           const std::filesystem::path& labels_file, std::size_t sample_size,
                                           std::size_t classes);

/// dir/name if it exists, else dir/name.gz (how MNIST mirrors and Fashion-MNIST ship the files).
CTNN_IO_INLINE std::filesystem::path find_idx_file(const std::filesystem::path& dir, std::string_view name);

/// One split of an MNIST-layout folder: prefix "train" or "t10k" names
/// <prefix>-images-idx3-ubyte[.gz] and <prefix>-labels-idx1-ubyte[.gz].
CTNN_IO_INLINE IdxDataset read_idx_folder(const std::filesystem::path& dir, std::string_view prefix,
                                          std::size_t sample_size, std::size_t classes);

}  // namespace ctnn::io

#if CTNN_IO_DEFINITIONS
#include "detail/idx_reader.hpp"
#endif
