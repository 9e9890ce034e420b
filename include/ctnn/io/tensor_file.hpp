#pragma once
// safetensors files of any tensor table (tensor_table.hpp): the functions the model API
// (safetensors.hpp) is built from, for files that hold more than one model's weights, such as a
// training checkpoint. Loading is as strict as for a model: every expected tensor with its exact
// shape, nothing else, finite values, all or nothing. See docs/io.md.
//
//   std::vector<ctnn::io::TensorBlock<float>> blocks{...};
//   if (auto r = ctnn::io::try_load_tensors("run.safetensors", blocks); !r) log(r.message);
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>
#include "detail/linkage.hpp"
#include "detail/no_throw.hpp"
#include "error.hpp"
#include "load_result.hpp"
#include "save_result.hpp"
#include "tensor_table.hpp"

namespace ctnn::io {

namespace detail {
// What every load and save goes through: defined in detail/safetensors_reader.hpp and
// detail/safetensors_writer.hpp, compiled once or inline (detail/linkage.hpp).
CTNN_IO_INLINE LoadResult load_tensors_from_file(const std::filesystem::path& path,
                                                 std::span<const TensorBlock<float>> blocks, const LoadOptions& options);
CTNN_IO_INLINE LoadResult load_tensors_from_bytes(std::span<const std::byte> bytes, std::string_view source,
                                                  std::span<const TensorBlock<float>> blocks,
                                                  const LoadOptions& options);
CTNN_IO_INLINE SaveResult serialize(std::string_view source, std::span<const TensorBlock<const float>> blocks,
                                    const Metadata& user_metadata, std::vector<std::byte>& out);
CTNN_IO_INLINE SaveResult save_tensors_to_file(const std::filesystem::path& path,
                                               std::span<const TensorBlock<const float>> blocks,
                                               const Metadata& metadata);
CTNN_IO_INLINE SaveResult check_writable(const std::filesystem::path& path);
}  // namespace detail

/// Loads every tensor of `blocks` from the file, or returns why not and touches none. Never throws.
inline LoadResult try_load_tensors(const std::filesystem::path& path, std::span<const TensorBlock<float>> blocks,
                                   const LoadOptions& options = {}) noexcept {
    return detail::no_throw<LoadResult>(detail::loading,
                                        [&] { return detail::load_tensors_from_file(path, blocks, options); });
}

/// The same from bytes in memory; `source` names them in messages.
inline LoadResult try_load_tensors(std::span<const std::byte> bytes, std::string_view source,
                                   std::span<const TensorBlock<float>> blocks, const LoadOptions& options = {}) noexcept {
    return detail::no_throw<LoadResult>(detail::loading,
                                        [&] { return detail::load_tensors_from_bytes(bytes, source, blocks, options); });
}

/// Writes `blocks` as F32 tensors named prefix + name, in block order, with `metadata` (and
/// "format": "pt"), through `path.partial` renamed into place. Never throws.
inline SaveResult try_save_tensors(const std::filesystem::path& path, std::span<const TensorBlock<const float>> blocks,
                                   const Metadata& metadata = {}) noexcept {
    return detail::no_throw<SaveResult>(detail::saving,
                                        [&] { return detail::save_tensors_to_file(path, blocks, metadata); });
}

/// Whether a save to `path` could write its file, tried before the work whose result it is to
/// save (a long training run): creates and removes `path.partial`, leaves `path` alone. Never throws.
inline SaveResult try_check_writable(const std::filesystem::path& path) noexcept {
    return detail::no_throw<SaveResult>(detail::saving, [&] { return detail::check_writable(path); });
}

#if defined(__cpp_exceptions)

namespace detail {
template <class Result>
void throw_on_failure(const Result& r) {
    if (!r) throw Error(r.message);
}
}  // namespace detail

/// The throwing variants: ctnn::io::Error with the message of the result above.
inline void load_tensors(const std::filesystem::path& path, std::span<const TensorBlock<float>> blocks,
                         const LoadOptions& options = {}) {
    detail::throw_on_failure(detail::load_tensors_from_file(path, blocks, options));
}

inline void load_tensors(std::span<const std::byte> bytes, std::string_view source,
                         std::span<const TensorBlock<float>> blocks, const LoadOptions& options = {}) {
    detail::throw_on_failure(detail::load_tensors_from_bytes(bytes, source, blocks, options));
}

inline void save_tensors(const std::filesystem::path& path, std::span<const TensorBlock<const float>> blocks,
                         const Metadata& metadata = {}) {
    detail::throw_on_failure(detail::save_tensors_to_file(path, blocks, metadata));
}

/// try_check_writable, throwing ctnn::io::Error ("ctnn: <path>: cannot be written: ...").
inline void check_writable(const std::filesystem::path& path) { detail::throw_on_failure(detail::check_writable(path)); }

/// The file try_save_tensors writes, in memory.
inline std::vector<std::byte> tensors_bytes(std::span<const TensorBlock<const float>> blocks,
                                            const Metadata& metadata = {}) {
    std::vector<std::byte> out;
    detail::throw_on_failure(detail::serialize({}, blocks, metadata, out));
    return out;
}

#endif

}  // namespace ctnn::io

#if CTNN_IO_DEFINITIONS
#include "detail/safetensors_reader.hpp"
#include "detail/safetensors_writer.hpp"
#endif
