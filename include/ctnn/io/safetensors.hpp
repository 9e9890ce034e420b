#pragma once
// safetensors files for ctnn models, named as PyTorch's nn.Sequential names them: the Linear at
// position 0 of the Seq is "0.weight" [Out, In] and "0.bias" [Out], position 2 is "2.weight"...
//
//   ctnn::io::save_safetensors(net, "model.safetensors");      // F32, readable by PyTorch
//   ctnn::io::load_safetensors(net, "model.safetensors");      // throws ctnn::io::Error
//   if (auto r = ctnn::io::try_load_safetensors(net, path); !r) log(r.message);  // noexcept
//
// Loading is strict, because a model that loads but computes something else is the worst
// outcome: every tensor the model expects must be there with its exact shape, nothing else may
// be, the offsets must tile the data exactly, every weight must be finite, and a file saved by
// ctnn must name the same layers ("ctnn.signature"). F32 loads as is; F16, BF16 and F64 are
// converted. On any failure the model is unchanged: the file is converted into a separate
// block first. Messages name the file, the tensor and what the model type expects. The no-throw
// variants and loading from memory also work with -fno-exceptions. See docs/io.md.
#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include "detail/dtype.hpp"
#include "detail/json.hpp"
#include "detail/little_endian.hpp"
#include "detail/message.hpp"
#include "detail/safetensors_header.hpp"
#include "error.hpp"
#include "layer_name.hpp"
#include "load_result.hpp"

namespace ctnn::io {

/// The metadata key under which a saved file records its model's layers (see signature<Net>()).
inline constexpr std::string_view signature_key = "ctnn.signature";

namespace detail {

template <class Dims>
std::string expected_shape_text(const Dims& info) {
    return shape_text<std::size_t>(std::span(info.dims.data(), info.rank));
}

/// "ctnn::Linear<17,5> at position 2"
template <class Net>
std::string layer_at(const std::array<std::string, Net::depth>& layers, std::size_t position) {
    return "ctnn::" + layers[position] + " at position " + std::to_string(position);
}

/// "\"0.weight\", \"0.bias\", ..." (the first few), for "the file has ..." hints.
inline std::string some_names(const std::vector<std::string>& names) {
    constexpr std::size_t shown = 8;
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + quote_name(names[i]);
    if (names.size() > shown) out += ", ... (" + std::to_string(names.size() - shown) + " more)";
    return out;
}

template <class Net>
std::vector<std::string> model_tensor_names() {
    std::vector<std::string> names;
    for (const auto& t : Net::tensors) names.push_back(t.name());
    return names;
}

/// Why the file's tensor `name` has no place in the model.
template <class Net>
std::string why_unexpected(std::string_view name, const std::array<std::string, Net::depth>& layers) {
    const std::size_t dot = name.find('.');
    std::size_t position = 0;
    bool numbered = dot != std::string_view::npos && dot > 0 && dot <= 9;
    for (std::size_t i = 0; numbered && i < dot; ++i) {
        if (name[i] < '0' || name[i] > '9') numbered = false;
        else position = position * 10 + std::size_t(name[i] - '0');
    }
    if (!numbered)
        return model_name<Net>() + " has no such tensor; it expects " + some_names(model_tensor_names<Net>());
    if (position >= Net::depth)
        return model_name<Net>() + " has " + std::to_string(Net::depth) + " layers (positions 0 to " +
               std::to_string(Net::depth - 1) + ")";
    std::vector<std::string> own;
    for (const auto& t : Net::tensors)
        if (t.position == position) own.push_back(std::string(t.info.name));
    if (own.empty()) return "position " + std::to_string(position) + " is ctnn::" + layers[position] + ", which has no parameters";
    return layer_at<Net>(layers, position) + " has only " + some_names(own);
}

/// Checks the parsed header against Net: the tensors it expects, their shapes and dtypes, no
/// others, and the layer list a ctnn-saved file records. `file_index[k]` is then the header
/// tensor that feeds Net::tensors[k].
template <class Net>
LoadResult match_model(std::string_view source, const Header& h,
                       std::array<std::size_t, Net::tensors.size()>& file_index) {
    const auto layers = layer_names<Net>();
    std::vector<bool> used(h.tensors.size(), false);
    for (std::size_t k = 0; k < Net::tensors.size(); ++k) {
        const auto& t = Net::tensors[k];
        const std::string name = t.name();
        const std::string expected = expected_shape_text(t.info);
        const auto it = h.index.find(name);
        if (it == h.index.end()) {
            std::vector<std::string> present;
            for (const auto& ft : h.tensors) present.push_back(ft.name);
            return failure(LoadErrorKind::missing_tensor, source,
                           "tensor " + quote_name(name) + " is missing: " + layer_at<Net>(layers, t.position) +
                               " expects it with shape " + expected + " (F32); the file has " +
                               (present.empty() ? std::string("no tensors") : some_names(present)));
        }
        const HeaderTensor& f = h.tensors[it->second];
        if (!dtype_info(f.dtype).loadable)
            return failure(LoadErrorKind::unsupported_dtype, source,
                           "tensor " + quote_name(name) + ": dtype " + std::string(dtype_info(f.dtype).name) +
                               " is not supported: " + layer_at<Net>(layers, t.position) +
                               " expects F32 (F16, BF16 and F64 are converted)");
        const bool same_shape = f.shape.size() == t.info.rank &&
                                std::equal(f.shape.begin(), f.shape.end(), t.info.dims.begin());
        if (!same_shape) {
            const bool transposed = t.info.rank == 2 && f.shape.size() == 2 && f.shape[0] == t.info.dims[1] &&
                                    f.shape[1] == t.info.dims[0];
            return failure(LoadErrorKind::wrong_shape, source,
                           "tensor " + quote_name(name) + ": expected shape " + expected + " (F32) for " +
                               layer_at<Net>(layers, t.position) + ", found " + shape_text<std::uint64_t>(f.shape) +
                               (transposed ? " (transposed? weights are [out_features, in_features], as in PyTorch)"
                                           : ""));
        }
        used[it->second] = true;
        file_index[k] = it->second;
    }
    for (std::size_t j = 0; j < h.tensors.size(); ++j) {
        if (used[j]) continue;
        const HeaderTensor& f = h.tensors[j];
        return failure(LoadErrorKind::unexpected_tensor, source,
                       "unexpected tensor " + quote_name(f.name) + " " + shape_text<std::uint64_t>(f.shape) + " (" +
                           std::string(dtype_info(f.dtype).name) + "): " + why_unexpected<Net>(f.name, layers));
    }
    if (const auto it = h.metadata.find(signature_key); it != h.metadata.end() && it->second != signature<Net>())
        return failure(LoadErrorKind::wrong_model, source,
                       "saved from ctnn::Seq<" + it->second + "> (metadata \"" + std::string(signature_key) +
                           "\"), but the model is " + model_name<Net>() +
                           ": the tensors fit, but the layers between them differ");
    return {};
}

/// Converts the matched tensors into `block` (Net's layout), refusing NaN and infinities.
template <class Net>
LoadResult convert_tensors(std::string_view source, const Header& h,
                           const std::array<std::size_t, Net::tensors.size()>& file_index,
                           std::span<const std::byte> data, std::vector<float>& block) {
    block.assign(Net::parameter_block_size, 0.0f);
    for (std::size_t k = 0; k < Net::tensors.size(); ++k) {
        const auto& t = Net::tensors[k];
        const HeaderTensor& f = h.tensors[file_index[k]];
        const std::size_t n = t.info.size();
        // Established by parse_header and match_model; checked again as the one guard of the reads.
        if (f.end > data.size() || f.end - f.begin != n * dtype_info(f.dtype).size || !dtype_info(f.dtype).loadable)
            return failure(LoadErrorKind::bad_offsets, source, "tensor " + quote_name(f.name) + ": inconsistent offsets");
        double bad = 0;
        const std::size_t i = convert_to_float(f.dtype, data.data() + f.begin, n, block.data() + t.offset, bad);
        if (i == n) continue;
        const std::string where = t.info.rank == 2 ? "[" + std::to_string(i / t.info.dims[1]) + ", " +
                                                         std::to_string(i % t.info.dims[1]) + "]"
                                                   : "[" + std::to_string(i) + "]";
        std::string value;
        if (is_finite(bad)) {
            char text[32];
            std::snprintf(text, sizeof text, "%g", bad);
            value = std::string(text) + ", beyond the float range";
        } else {
            const auto bits = std::bit_cast<std::uint64_t>(bad);
            value = (bits & 0x000FFFFFFFFFFFFFu) ? "NaN" : (bits >> 63) ? "-Inf" : "+Inf";
        }
        return failure(LoadErrorKind::not_finite, source,
                       "tensor " + quote_name(f.name) + ": element " + where + " is " + value +
                           "; a model with non-finite weights is refused");
    }
    return {};
}

/// All or nothing: only a fully converted block reaches the model.
template <class Net>
void commit(Net& net, const std::vector<float>& block) noexcept {
    for (const auto& t : Net::tensors)
        std::copy_n(block.data() + t.offset, t.info.size(), net.parameters() + t.offset);
}

template <class Net>
LoadResult load_from_bytes(Net& net, std::span<const std::byte> bytes, std::string_view source) {
    std::uint64_t length = 0;
    if (auto e = read_header_length(source, bytes.size(), bytes.data(), length); !e) return e;
    const auto header = bytes.subspan(8, static_cast<std::size_t>(length));
    const auto data = bytes.subspan(8 + static_cast<std::size_t>(length));
    Header h;
    if (auto e = parse_header(source, {reinterpret_cast<const char*>(header.data()), header.size()}, data.size(), h); !e)
        return e;
    std::array<std::size_t, Net::tensors.size()> file_index{};
    if (auto e = match_model<Net>(source, h, file_index); !e) return e;
    std::vector<float> block;
    if (auto e = convert_tensors<Net>(source, h, file_index, data, block); !e) return e;
    commit(net, block);
    return {};
}

/// Reads in three steps (length, header, data) so that a file that is not the model's is
/// refused before its data is read; the data read is then at most 8 bytes per parameter.
template <class Net>
LoadResult load_from_file(Net& net, const std::filesystem::path& path) {
    const std::string source = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found)
        return failure(LoadErrorKind::file, source, "cannot open: no such file");
    if (ec) return failure(LoadErrorKind::file, source, "cannot open: " + ec.message());
    if (!std::filesystem::is_regular_file(status))
        return failure(LoadErrorKind::file, source, "cannot open: not a regular file");
    const std::uint64_t total = std::filesystem::file_size(path, ec);
    if (ec) return failure(LoadErrorKind::file, source, "cannot read its size: " + ec.message());
    std::ifstream in(path, std::ios::binary);
    if (!in) return failure(LoadErrorKind::file, source, "cannot open for reading");
    const auto read = [&](std::byte* to, std::uint64_t n) {
        in.read(reinterpret_cast<char*>(to), static_cast<std::streamsize>(n));
        return in.good() || (in.eof() && std::uint64_t(in.gcount()) == n);
    };
    const auto changed = [&] { return failure(LoadErrorKind::truncated, source, "truncated while being read"); };

    std::byte prefix[8] = {};
    if (!read(prefix, std::min<std::uint64_t>(total, 8))) return changed();
    std::uint64_t length = 0;
    if (auto e = read_header_length(source, total, prefix, length); !e) return e;
    std::string text(static_cast<std::size_t>(length), '\0');
    if (!read(reinterpret_cast<std::byte*>(text.data()), length)) return changed();
    const std::uint64_t data_bytes = total - 8 - length;
    Header h;
    if (auto e = parse_header(source, text, data_bytes, h); !e) return e;
    std::array<std::size_t, Net::tensors.size()> file_index{};
    if (auto e = match_model<Net>(source, h, file_index); !e) return e;
    // Every byte now belongs to a tensor of the model, so data_bytes <= 8 * parameter_count.
    std::vector<std::byte> data(static_cast<std::size_t>(data_bytes));
    if (!read(data.data(), data_bytes)) return changed();
    std::vector<float> block;
    if (auto e = convert_tensors<Net>(source, h, file_index, data, block); !e) return e;
    commit(net, block);
    return {};
}

/// Runs a loader, turning allocation failure (and any stray exception) into a result.
template <class F>
LoadResult no_throw(F&& load) noexcept {
#if defined(__cpp_exceptions)
    try {
        return load();
    } catch (const std::bad_alloc&) {
        try {
            return {LoadErrorKind::out_of_memory, "ctnn: out of memory while loading a safetensors file"};
        } catch (...) {
            return {LoadErrorKind::out_of_memory, {}};
        }
    } catch (...) {
        try {
            return {LoadErrorKind::file, "ctnn: unexpected error while loading a safetensors file"};
        } catch (...) {
            return {LoadErrorKind::file, {}};
        }
    }
#else
    return load();
#endif
}

/// The header and data of a safetensors file holding net's tensors as F32.
template <class Net>
LoadResult serialize(const Net& net, const std::map<std::string, std::string>& user_metadata,
                     std::vector<std::byte>& out) {
    const auto bad = [](const std::string& what) { return LoadResult{LoadErrorKind::invalid_header, what}; };
    if (user_metadata.count(std::string(signature_key)))
        return bad("metadata key \"" + std::string(signature_key) + "\" is reserved: ctnn writes the model's layers there");
    for (const auto& [k, v] : user_metadata)
        if (!json::is_valid_utf8(k) || !json::is_valid_utf8(v))
            return bad("metadata " + quote_name(k) + " is not valid UTF-8 (safetensors headers are UTF-8 JSON)");
    std::map<std::string, std::string> metadata = user_metadata;
    metadata.emplace("format", "pt");  // what PyTorch-side readers (transformers, safe_open) look for
    metadata.emplace(signature_key, signature<Net>());

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
    for (const auto& t : Net::tensors) {
        const std::uint64_t bytes = 4 * std::uint64_t(t.info.size());
        std::string shape;
        for (std::size_t d = 0; d < t.info.rank; ++d) shape += (d ? "," : "") + std::to_string(t.info.dims[d]);
        header += ",\"" + t.name() + "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "]" +
                  ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
        offset += bytes;
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');  // the data starts 8-byte aligned, as other writers do

    out.assign(8 + header.size() + offset, std::byte{0});
    store_le64(out.data(), header.size());
    std::memcpy(out.data() + 8, header.data(), header.size());
    std::byte* p = out.data() + 8 + header.size();
    for (const auto& t : Net::tensors) {
        const float* src = net.parameters() + t.offset;
        for (std::size_t i = 0; i < t.info.size(); ++i, p += 4) {
            if (!is_finite(src[i]))
                return bad("tensor \"" + t.name() + "\": element " + std::to_string(i) + " is " +
                           ((std::bit_cast<std::uint32_t>(src[i]) & 0x007FFFFFu) ? "NaN" : "infinite") +
                           "; refusing to save a model that cannot be loaded back");
            store_le32(p, std::bit_cast<std::uint32_t>(src[i]));
        }
    }
    return {};
}

}  // namespace detail

/// Loads the file into net, or returns why not and leaves net unchanged. Never throws.
template <class Net>
LoadResult try_load_safetensors(Net& net, const std::filesystem::path& path) noexcept {
    return detail::no_throw([&] { return detail::load_from_file(net, path); });
}

/// The same from bytes in memory (a file mapped or embedded by the caller); `source` names
/// them in messages.
template <class Net>
LoadResult try_load_safetensors(Net& net, std::span<const std::byte> bytes,
                                std::string_view source = "<memory>") noexcept {
    return detail::no_throw([&] { return detail::load_from_bytes(net, bytes, source); });
}

#if defined(__cpp_exceptions)

/// Loads the file into net; throws ctnn::io::Error (net unchanged) if it does not fit net exactly.
template <class Net>
void load_safetensors(Net& net, const std::filesystem::path& path) {
    if (auto r = detail::load_from_file(net, path); !r) throw Error(r.message);
}

template <class Net>
void load_safetensors(Net& net, std::span<const std::byte> bytes, std::string_view source = "<memory>") {
    if (auto r = detail::load_from_bytes(net, bytes, source); !r) throw Error(r.message);
}

/// net as a safetensors file in memory: F32 tensors named as in Net::tensors, and metadata
/// {"format": "pt", "ctnn.signature": signature<Net>()} plus `metadata`. Throws Error if a
/// weight is NaN or infinite (the file could not be loaded back) or the metadata is not UTF-8.
template <class Net>
std::vector<std::byte> safetensors_bytes(const Net& net, const std::map<std::string, std::string>& metadata = {}) {
    std::vector<std::byte> out;
    if (auto r = detail::serialize(net, metadata, out); !r) throw Error("ctnn: " + r.message);
    return out;
}

/// Writes net to `path` (through a temporary file renamed into place, so an existing file is
/// replaced only by a complete one). Throws Error naming the file on failure.
template <class Net>
void save_safetensors(const Net& net, const std::filesystem::path& path,
                      const std::map<std::string, std::string>& metadata = {}) {
    std::vector<std::byte> bytes;
    if (auto r = detail::serialize(net, metadata, bytes); !r) throw Error("ctnn: " + path.string() + ": " + r.message);
    std::filesystem::path partial = path;
    partial += ".partial";
    const auto fail = [&](const std::string& what) {
        const int err = errno;
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        throw Error("ctnn: " + path.string() + ": " + what + (err ? std::string(": ") + std::strerror(err) : ""));
    };
    errno = 0;
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out) fail("cannot open " + partial.string() + " for writing");
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) fail("write failed");
    }
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        throw Error("ctnn: " + path.string() + ": cannot rename the written file into place: " + ec.message());
    }
}

#endif

}  // namespace ctnn::io
