#pragma once
// A parsed header against the tensors the caller expects (a run-time table, tensor_table.hpp):
// every expected tensor must be there with its exact shape and a dtype ctnn converts, and no
// other tensor may be. The data is then converted into one staging block, refusing NaN and
// infinities, and only a fully converted block is copied to its destinations: all or nothing.
// Messages name the file, the tensor and who expects it.
#include <algorithm>
#include <cstdint>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include "../load_result.hpp"
#include "../tensor_table.hpp"
#include "dtype.hpp"
#include "message.hpp"
#include "safetensors_header.hpp"

namespace ctnn::io::detail {

/// How a tensor is held in the file, for messages.
inline std::string stored_text(Stored s) {
    switch (s) {
        case Stored::count: return "I64 (an integer count)";
        case Stored::int8: return "I8 (int8 weights)";
        default: return "F32 (F16, BF16 and F64 are converted)";
    }
}

/// Where an expected tensor's values come from and are staged.
struct Placement {
    const TensorRef<float>* tensor;
    std::size_t file_tensor;  // its index in Header::tensors
    std::size_t staged;       // its first float in the staging block
};

/// The names a block's tensors have in the file.
template <class T>
std::vector<std::string> file_names(const TensorBlock<T>& block) {
    std::vector<std::string> names;
    for (const auto& t : block.tensors) names.push_back(block.prefix + t.name);
    return names;
}

/// Why the file's tensor `name` matches no expected tensor: the block whose prefix it carries
/// (the longest such) explains, or says what it expects instead.
inline std::string why_unexpected(std::string_view name, std::span<const TensorBlock<float>> blocks) {
    const TensorBlock<float>* home = nullptr;
    for (const auto& b : blocks)
        if (name.starts_with(b.prefix) && (!home || b.prefix.size() > home->prefix.size())) home = &b;
    if (!home) {
        std::vector<std::string> all;
        for (const auto& b : blocks)
            for (auto& n : file_names(b)) all.push_back(std::move(n));
        return "no tensor of that name is expected; the expected tensors are " + some_names(all);
    }
    if (home->why_unexpected) {
        std::string reason = home->why_unexpected(name.substr(home->prefix.size()));
        if (!reason.empty()) return reason;
    }
    return home->owner + " has no such tensor; it expects " + some_names(file_names(*home));
}

/// Checks the parsed header against the expected tensors; on success `plan` says where each
/// one's values are, in the order of `blocks`, and `staged_floats` how many floats they take.
inline LoadResult match_tensors(std::string_view source, const Header& h, std::span<const TensorBlock<float>> blocks,
                                std::vector<Placement>& plan, std::size_t& staged_floats) {
    plan.clear();
    staged_floats = 0;
    std::vector<bool> used(h.tensors.size(), false);
    for (const auto& block : blocks) {
        for (const auto& t : block.tensors) {
            const std::string name = block.prefix + t.name;
            const std::string expected = shape_text<std::size_t>(t.shape);
            const auto it = h.index.find(name);
            if (it == h.index.end()) {
                std::vector<std::string> present;
                for (const auto& ft : h.tensors) present.push_back(ft.name);
                return failure(LoadErrorKind::missing_tensor, source,
                               "tensor " + quote_name(name) + " is missing: " + t.owner + " expects it with shape " +
                                   expected + " (" + stored_dtype(t.stored) + "); the file has " +
                                   (present.empty() ? std::string("no tensors") : some_names(present)));
            }
            const HeaderTensor& f = h.tensors[it->second];
            const bool dtype_fits = t.stored == Stored::count  ? f.dtype == Dtype::I64
                                    : t.stored == Stored::int8 ? f.dtype == Dtype::I8
                                                               : dtype_info(f.dtype).loadable;
            if (!dtype_fits) {
                const bool known = f.dtype == Dtype::I64 || f.dtype == Dtype::I8 || dtype_info(f.dtype).loadable;
                return failure(LoadErrorKind::unsupported_dtype, source,
                               "tensor " + quote_name(name) + ": dtype " + std::string(dtype_info(f.dtype).name) +
                                   (known ? " where " : " is not supported: ") + t.owner + " expects " +
                                   stored_text(t.stored) +
                                   (f.dtype == Dtype::I8 ? " (the file holds a quantised model: load it into a "
                                                           "ctnn::Int8Model)"
                                                         : ""));
            }
            if (!std::equal(f.shape.begin(), f.shape.end(), t.shape.begin(), t.shape.end())) {
                const bool transposed = t.shape.size() == 2 && f.shape.size() == 2 && f.shape[0] == t.shape[1] &&
                                        f.shape[1] == t.shape[0];
                return failure(LoadErrorKind::wrong_shape, source,
                               "tensor " + quote_name(name) + ": expected shape " + expected + " (F32) for " +
                                   t.owner + ", found " + shape_text<std::uint64_t>(f.shape) +
                                   (transposed ? " (transposed? weights are [out_features, in_features], as in PyTorch)"
                                               : ""));
            }
            used[it->second] = true;
            plan.push_back({&t, it->second, staged_floats});
            staged_floats += t.size();
        }
    }
    for (std::size_t j = 0; j < h.tensors.size(); ++j) {
        if (used[j]) continue;
        const HeaderTensor& f = h.tensors[j];
        return failure(LoadErrorKind::unexpected_tensor, source,
                       "unexpected tensor " + quote_name(f.name) + " " + shape_text<std::uint64_t>(f.shape) + " (" +
                           std::string(dtype_info(f.dtype).name) + "): " + why_unexpected(f.name, blocks));
    }
    return {};
}

/// Converts the matched tensors of the data section into `staged`, refusing NaN and infinities.
inline LoadResult convert_tensors(std::string_view source, const Header& h, const std::vector<Placement>& plan,
                                  std::size_t staged_floats, std::span<const std::byte> data,
                                  std::vector<float>& staged) {
    staged.assign(staged_floats, 0.0f);
    for (const Placement& p : plan) {
        const HeaderTensor& f = h.tensors[p.file_tensor];
        const std::size_t n = p.tensor->size();
        // Established by parse_header and match_tensors; checked again as the one guard of the reads.
        const Stored stored = p.tensor->stored;
        if (f.end > data.size() || f.end - f.begin != n * dtype_info(f.dtype).size ||
            !(dtype_info(f.dtype).loadable || stored != Stored::real) || p.staged + n > staged.size())
            return failure(LoadErrorKind::bad_offsets, source, "tensor " + quote_name(f.name) + ": inconsistent offsets");
        float* out = staged.data() + p.staged;
        if (stored == Stored::int8) {  // I8 (match_tensors checked): every value fits
            for (std::size_t i = 0; i < n; ++i) out[i] = float(std::int8_t(data[f.begin + i]));
        } else if (stored == Stored::count) {  // I64 (match_tensors checked), a count: not negative
            for (std::size_t i = 0; i < n; ++i) {
                const auto v = static_cast<std::int64_t>(load_le64(data.data() + f.begin + 8 * i));
                if (v < 0)
                    return failure(LoadErrorKind::not_finite, source,
                                   "tensor " + quote_name(f.name) + ": element " + element_text(p.tensor->shape, i) +
                                       " is " + std::to_string(v) + "; a count cannot be negative");
                out[i] = float(v);
            }
        } else {
            double bad = 0;
            const std::size_t i = convert_to_float(f.dtype, data.data() + f.begin, n, out, bad);
            if (i != n)
                return failure(LoadErrorKind::not_finite, source,
                               "tensor " + quote_name(f.name) + ": element " + element_text(p.tensor->shape, i) +
                                   " is " + bad_value_text(bad) + "; a model with non-finite weights is refused");
        }
        if (p.tensor->check)
            if (const std::string why = p.tensor->check(out); !why.empty())
                return failure(LoadErrorKind::invalid_value, source,
                               "tensor " + quote_name(f.name) + " of " + p.tensor->owner + ": " + why);
    }
    return {};
}

/// All or nothing: only a fully converted staging block reaches the destinations.
inline void commit(const std::vector<Placement>& plan, const std::vector<float>& staged) noexcept {
    for (const Placement& p : plan) {
        if (p.tensor->store) p.tensor->store(staged.data() + p.staged);
        else std::copy_n(staged.data() + p.staged, p.tensor->size(), p.tensor->data);
    }
}

}  // namespace ctnn::io::detail
