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
// converted. On any failure the model is unchanged. Messages name the file, the tensor and what
// the model type expects. The no-throw variants also work with -fno-exceptions. See docs/io.md.
//
// This header is the model's side only: it describes Net::tensors as a tensor table
// (model_tensors) and hands it to the table functions of tensor_file.hpp, which read the
// container (detail/safetensors_header.hpp, detail/json.hpp), match and convert
// (detail/tensor_match.hpp) and write (detail/safetensors_writer.hpp).
#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>
#include "../core/tensor_info.hpp"
#include "../kernels/bf16.hpp"
#include "../model/bf16_model.hpp"
#include "../model/int8_model.hpp"
#include "detail/message.hpp"
#include "layer_name.hpp"
#include "tensor_file.hpp"

namespace ctnn::io {

/// The metadata key under which a saved file records its model's layers (see signature<Net>()).
inline constexpr std::string_view signature_key = "ctnn.signature";
/// The metadata key under which a saved file records the PyTorch modules of its layers (see
/// torch_modules<Net>()), from which tools/safetensors_to_torch.py rebuilds the model.
inline constexpr std::string_view torch_modules_key = "ctnn.torch";

namespace detail {

/// Why a tensor named `name` has no place in Net, where the layer list can tell; "" otherwise
/// (the table then lists what Net expects).
template <class Net>
std::string why_unexpected(std::string_view name) {
    if (name.starts_with("optimizer."))
        return "this is optimizer state: the file is a training checkpoint (load it with "
               "ctnn::io::load_checkpoint, see io/checkpoint.hpp)";
    const std::size_t dot = name.find('.');
    std::size_t position = 0;
    bool numbered = dot != std::string_view::npos && dot > 0 && dot <= 9;
    for (std::size_t i = 0; numbered && i < dot; ++i) {
        if (name[i] < '0' || name[i] > '9') numbered = false;
        else position = position * 10 + std::size_t(name[i] - '0');
    }
    if (!numbered) return {};
    if (position >= Net::depth)
        return model_name<Net>() + " has " + std::to_string(Net::depth) + " layers (positions 0 to " +
               std::to_string(Net::depth - 1) + ")";
    std::vector<std::string> own;
    for (const auto& t : Net::tensors)
        if (t.position == position) own.push_back(std::string(t.info.name));
    if (own.empty())
        return "position " + std::to_string(position) + " is " + layer_cpp_names<Net>()[position] +
               ", which has no parameters";
    return layer_at<Net>(position) + " has only " + some_names(own);
}

}  // namespace detail

/// Which of a model's tensors a table holds: all (a model's file: parameters and buffers such
/// as running statistics), or the trainable ones (an optimizer's state, a gradient).
enum class TensorSelection { all, trainable };

/// Net's tensors in `block` as a tensor table: named as in Net::tensors (after `prefix`), with
/// their PyTorch shapes, owned by their layers. `block` is Net's parameters or any block of the
/// same layout (gradients, optimizer moments); float to load into, const float to save from.
template <class Net, class T>
TensorBlock<T> model_tensors(T* block, std::string prefix = {}, TensorSelection which = TensorSelection::all) {
    static_assert(std::is_same_v<std::remove_const_t<T>, float>, "a model's tensors are floats");
    const auto names = layer_cpp_names<Net>();
    TensorBlock<T> out{std::move(prefix), {}, model_name<Net>(), detail::why_unexpected<Net>};
    out.tensors.reserve(Net::tensors.size());
    for (const auto& t : Net::tensors)
        if (which == TensorSelection::all || t.info.trainable())
            out.tensors.push_back({t.name(),
                                   std::vector<std::size_t>(t.info.dims.begin(), t.info.dims.begin() + t.info.rank),
                                   block + t.offset, names[t.position] + " at position " + std::to_string(t.position),
                                   t.info.role == TensorRole::count ? Stored::count : Stored::real});
    return out;
}

/// A Bf16Model's tensors as a table to load into: named and shaped as Net's, each value rounded
/// to bf16 as it is stored (a BF16 file's values as they are), a bf16 weight packed on the way.
template <class Net, class Arch>
TensorBlock<float> model_tensors(Bf16Model<Net, Arch>& model) {
    using Layout = Bf16Model<Net, Arch>;
    const auto names = layer_cpp_names<Net>();
    TensorBlock<float> out{{}, {}, model_name<Net>(), detail::why_unexpected<Net>};
    for (const auto& t : Net::tensors) {
        const ctnn::detail::Bf16Entry e = Layout::layout.entries[t.position];
        const std::size_t in_layer = t.offset - Net::table[t.position].param_offset, n = t.info.size();
        TensorRef<float> ref{t.name(), std::vector<std::size_t>(t.info.dims.begin(), t.info.dims.begin() + t.info.rank),
                             nullptr, names[t.position] + " at position " + std::to_string(t.position),
                             t.info.role == TensorRole::count ? Stored::count : Stored::real};
        if (e.bf16 && in_layer == 0)
            ref.store = [packed = model.packed_weight(t.position), e](const float* v) {
                for (std::size_t r = 0; r < e.rows; ++r)
                    for (std::size_t c = 0; c < e.cols; ++c)
                        packed[kernels::bf16_packed_index(e.cols, r, c)] = kernels::to_bf16(v[r * e.cols + c]);
            };
        else
            ref.store = [to = model.fp32_part(t.position) + (in_layer - e.rest_from), n](const float* v) {
                for (std::size_t i = 0; i < n; ++i) to[i] = kernels::round_to_bf16(v[i]);
            };
        out.tensors.push_back(std::move(ref));
    }
    return out;
}

namespace detail {

/// An Int8Model's tensors: for an int8 layer at position p, "p.weight" (I8, [out, in]),
/// "p.weight_scale" ([out]: W ~ weight x weight_scale per row), "p.bias" if it has one,
/// "p.input_scale" and "p.input_zero_point" (I64; [] both: q(x) = round(x / scale) + zero point);
/// every other layer's tensors as in Net. `Model` is Int8Model or const Int8Model.
template <class Net, class Arch>
struct Int8Tensors {
    TensorBlock<float> block;
    std::vector<std::vector<float>> values;  // saving: the int8 model's values as floats
};

template <class Net, class Arch, class Model>
Int8Tensors<Net, Arch> int8_tensors(Model& model, bool saving) {
    using Layout = Int8Model<Net, Arch>;
    constexpr bool loading = !std::is_const_v<Model>;
    const auto names = layer_cpp_names<Net>();
    Int8Tensors<Net, Arch> out{{{}, {}, "ctnn::Int8Model<" + model_name<Net>() + ">", why_unexpected<Net>}, {}};
    out.values.reserve(Net::tensors.size() + 2 * Net::depth);
    auto add = [&](std::string name, std::vector<std::size_t> shape, std::size_t position, Stored stored,
                   const auto& get, auto&& put, std::function<std::string(const float*)> check = {}) {
        TensorRef<float> ref{std::move(name), std::move(shape), nullptr,
                             names[position] + " at position " + std::to_string(position) + " (int8)", stored};
        const std::size_t n = ref.size();
        if (saving) {
            out.values.emplace_back(n);
            get(out.values.back().data(), n);
            ref.data = out.values.back().data();
        }
        if constexpr (loading) ref.store = [put, n](const float* v) { put(v, n); };
        ref.check = std::move(check);
        out.block.tensors.push_back(std::move(ref));
    };
    const auto positive = [](const char* what) {
        return [what](const float* v) -> std::string {
            return v[0] > 0 ? "" : std::string(what) + " is " + std::to_string(v[0]) + "; it must be positive";
        };
    };
    for (const auto& t : Net::tensors) {
        const ctnn::detail::Int8Entry e = Layout::layout.entries[t.position];
        const std::size_t in_layer = t.offset - Net::table[t.position].param_offset;
        const std::vector<std::size_t> shape(t.info.dims.begin(), t.info.dims.begin() + t.info.rank);
        const std::size_t i = t.position;
        if (!e.int8) {
            add(t.name(), shape, i, t.info.role == TensorRole::count ? Stored::count : Stored::real,
                [&](float* v, std::size_t n) { std::copy_n(model.fp32_part(i) + in_layer, n, v); },
                [&model, i, in_layer](const float* v, std::size_t n) {
                    [[maybe_unused]] auto* to = model.fp32_part(i) + in_layer;  // written when loading
                    if constexpr (loading) std::copy_n(v, n, to);
                });
            continue;
        }
        if (in_layer == 0) {  // the weight, and what belongs to the layer rather than a tensor of Net
            const std::string name = t.name(), prefix = name.substr(0, name.rfind('.') + 1);
            add(name, shape, i, Stored::int8,
                [&](float* v, std::size_t) {
                    for (std::size_t r = 0; r < e.rows; ++r)
                        for (std::size_t c = 0; c < e.cols; ++c)
                            v[r * e.cols + c] = model.packed_weight(i)[kernels::int8_packed_index(e.cols, r, c)];
                },
                [&model, i, e](const float* v, std::size_t) {
                    [[maybe_unused]] auto* to = model.packed_weight(i);
                    for (std::size_t r = 0; r < e.rows; ++r)
                        for (std::size_t c = 0; c < e.cols; ++c)
                            if constexpr (loading) to[kernels::int8_packed_index(e.cols, r, c)] = std::int8_t(v[r * e.cols + c]);
                });
            add(prefix + "weight_scale", {e.rows}, i, Stored::real,
                [&](float* v, std::size_t n) { std::copy_n(model.weight_scales(i), n, v); },
                [&model, i](const float* v, std::size_t n) {
                    [[maybe_unused]] auto* to = model.weight_scales(i);
                    if constexpr (loading) std::copy_n(v, n, to);
                },
                [rows = e.rows](const float* v) -> std::string {
                    for (std::size_t r = 0; r < rows; ++r)
                        if (!(v[r] > 0))
                            return "element [" + std::to_string(r) + "] is " + std::to_string(v[r]) +
                                   "; a weight scale must be positive";
                    return "";
                });
            add(prefix + "input_scale", {}, i, Stored::real,
                [&](float* v, std::size_t) { v[0] = model.input_quantization(i).scale; },
                [&model, i](const float* v, std::size_t) {
                    [[maybe_unused]] auto& to = model.input_quantization(i);
                    if constexpr (loading) to.scale = v[0];
                },
                positive("the input scale"));
            add(prefix + "input_zero_point", {}, i, Stored::count,
                [&](float* v, std::size_t) { v[0] = float(model.input_quantization(i).zero_point); },
                [&model, i](const float* v, std::size_t) {
                    [[maybe_unused]] auto& to = model.input_quantization(i);
                    if constexpr (loading) to.zero_point = std::int32_t(v[0]);
                },
                [](const float* v) -> std::string {
                    return v[0] <= 255 ? "" : "the zero point is " + std::to_string(std::int64_t(v[0])) +
                                                  "; a uint8 input's zero point is at most 255";
                });
        } else {  // the bias
            add(t.name(), shape, i, Stored::real,
                [&](float* v, std::size_t n) { std::copy_n(model.biases(i), n, v); },
                [&model, i](const float* v, std::size_t n) {
                    [[maybe_unused]] auto* to = model.biases(i);
                    if constexpr (loading) std::copy_n(v, n, to);
                });
        }
    }
    return out;
}

/// Refuses a file whose "ctnn.signature" names other layers than Net's.
template <class Net>
LoadOptions model_load_options() {
    LoadOptions options;
    options.check_metadata = [](const Metadata& metadata) -> std::string {
        const auto it = metadata.find(std::string(signature_key));
        if (it == metadata.end() || it->second == signature<Net>()) return {};
        return "saved from ctnn::Seq<" + it->second + "> (metadata \"" + std::string(signature_key) +
               "\"), but the model is " + model_name<Net>() + ": the tensors fit, but the layers between them differ";
    };
    return options;
}

/// Calls read(net's table, the signature check).
template <class Net, class Read>
LoadResult load_model(Net& net, Read&& read) {
    const TensorBlock<float> block = model_tensors<Net>(net.parameters());
    return std::forward<Read>(read)(std::span(&block, 1), model_load_options<Net>());
}

/// Calls write(net's table, the user's metadata plus Net's signature), refusing user metadata
/// under the reserved key.
/// `metadata` = the user's metadata plus Net's layers (and, for a file PyTorch can load, its
/// nn.Sequential modules) under ctnn's reserved keys; refuses user metadata under those keys.
template <class Net>
SaveResult add_signature(std::string_view source, const Metadata& user_metadata, Metadata& metadata,
                         bool torch_loadable) {
    for (const std::string_view key : {signature_key, torch_modules_key})
        if (user_metadata.count(std::string(key)))
            return failure(SaveErrorKind::invalid_metadata, source,
                           "metadata key \"" + std::string(key) + "\" is reserved: ctnn writes the model's layers there");
    metadata = user_metadata;
    metadata.emplace(signature_key, signature<Net>());
    if (torch_loadable) metadata.emplace(torch_modules_key, torch_modules<Net>());
    return {};
}

template <class Net, class Write>
SaveResult save_model(const Net& net, std::string_view source, const Metadata& user_metadata, Write&& write) {
    Metadata metadata;
    if (SaveResult r = add_signature<Net>(source, user_metadata, metadata, true); !r) return r;
    const TensorBlock<const float> block = model_tensors<Net>(net.parameters());
    return std::forward<Write>(write)(std::span(&block, 1), metadata);
}

template <class Net, class Arch, class Read>
LoadResult load_model(Bf16Model<Net, Arch>& model, Read&& read) {
    const TensorBlock<float> block = model_tensors(model);
    return std::forward<Read>(read)(std::span(&block, 1), model_load_options<Net>());
}

template <class Net, class Arch, class Read>
LoadResult load_model(Int8Model<Net, Arch>& model, Read&& read) {
    const Int8Tensors<Net, Arch> t = int8_tensors<Net, Arch>(model, false);
    LoadResult r = std::forward<Read>(read)(std::span(&t.block, 1), model_load_options<Net>());
    if (r) model.update();
    return r;
}

template <class Net, class Arch, class Write>
SaveResult save_model(const Int8Model<Net, Arch>& model, std::string_view source, const Metadata& user_metadata,
                      Write&& write) {
    // No PyTorch modules: nn.Linear cannot load int8 weights.
    Metadata metadata;
    if (SaveResult r = add_signature<Net>(source, user_metadata, metadata, false); !r) return r;
    const Int8Tensors<Net, Arch> t = int8_tensors<Net, Arch>(model, true);
    std::vector<TensorRef<const float>> refs;
    for (const auto& r : t.block.tensors) refs.push_back({r.name, r.shape, r.data, r.owner, r.stored});
    const TensorBlock<const float> block{{}, std::move(refs), t.block.owner, {}};
    return std::forward<Write>(write)(std::span(&block, 1), metadata);
}

template <class Net>
LoadResult load_model_file(Net& net, const std::filesystem::path& path) {
    return load_model(net, [&](auto blocks, const LoadOptions& options) {
        return load_tensors_from_file(path, blocks, options);
    });
}

template <class Net>
LoadResult load_model_bytes(Net& net, std::span<const std::byte> bytes, std::string_view source) {
    return load_model(net, [&](auto blocks, const LoadOptions& options) {
        return load_tensors_from_bytes(bytes, source, blocks, options);
    });
}

template <class Net>
SaveResult save_model_file(const Net& net, const std::filesystem::path& path, const Metadata& metadata) {
    return save_model(net, path.string(), metadata, [&](auto blocks, const Metadata& with_signature) {
        return save_tensors_to_file(path, blocks, with_signature);
    });
}

}  // namespace detail

/// Loads the file into net, or returns why not and leaves net unchanged. Never throws. net is a
/// Seq, or a Bf16Model: a BF16 file's values go in as they are (F32, F16 and F64 ones rounded).
template <class Net>
LoadResult try_load_safetensors(Net& net, const std::filesystem::path& path) noexcept {
    return detail::no_throw<LoadResult>(detail::loading, [&] { return detail::load_model_file(net, path); });
}

/// The same from bytes in memory (a file mapped or embedded by the caller); `source` names
/// them in messages.
template <class Net>
LoadResult try_load_safetensors(Net& net, std::span<const std::byte> bytes,
                                std::string_view source = "<memory>") noexcept {
    return detail::no_throw<LoadResult>(detail::loading, [&] { return detail::load_model_bytes(net, bytes, source); });
}

/// Writes net to `path` as save_safetensors does, or returns why not (a NaN or infinite weight,
/// bad metadata, a file that cannot be written: no `path.partial` is left behind). Never throws.
template <class Net>
SaveResult try_save_safetensors(const Net& net, const std::filesystem::path& path,
                                const std::map<std::string, std::string>& metadata = {}) noexcept {
    return detail::no_throw<SaveResult>(detail::saving, [&] { return detail::save_model_file(net, path, metadata); });
}

#if defined(__cpp_exceptions)

/// Loads the file into net; throws ctnn::io::Error (net unchanged) if it does not fit net exactly.
template <class Net>
void load_safetensors(Net& net, const std::filesystem::path& path) {
    detail::throw_on_failure(detail::load_model_file(net, path));
}

template <class Net>
void load_safetensors(Net& net, std::span<const std::byte> bytes, std::string_view source = "<memory>") {
    detail::throw_on_failure(detail::load_model_bytes(net, bytes, source));
}

/// net as a safetensors file in memory: F32 tensors named as in Net::tensors, and metadata
/// {"format": "pt", "ctnn.signature": signature<Net>()} plus `metadata`. Throws Error if a
/// weight is NaN or infinite (the file could not be loaded back) or the metadata is not UTF-8.
template <class Net>
std::vector<std::byte> safetensors_bytes(const Net& net, const std::map<std::string, std::string>& metadata = {}) {
    std::vector<std::byte> out;
    detail::throw_on_failure(detail::save_model(net, {}, metadata, [&](auto blocks, const Metadata& with_signature) {
        return detail::serialize({}, blocks, with_signature, out);
    }));
    return out;
}

/// Writes net to `path` (through a temporary file renamed into place, so an existing file is
/// replaced only by a complete one). Throws Error naming the file on failure.
template <class Net>
void save_safetensors(const Net& net, const std::filesystem::path& path,
                      const std::map<std::string, std::string>& metadata = {}) {
    detail::throw_on_failure(detail::save_model_file(net, path, metadata));
}

#endif

}  // namespace ctnn::io
