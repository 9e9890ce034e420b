#pragma once
// A run-time table of the tensors a safetensors file holds: the vocabulary the file functions
// (tensor_file.hpp) work on. A model's weights are one block (model_tensors<Net>() in
// safetensors.hpp builds it); a file holding more, such as a training checkpoint with optimizer
// moments, is a list of blocks told apart by a name prefix:
//
//   std::vector<ctnn::io::TensorBlock<float>> blocks{
//       ctnn::io::model_tensors<Net>(net.parameters()),             // "0.weight", ...
//       ctnn::io::model_tensors<Net>(first_moment, "adam.m."),      // "adam.m.0.weight", ...
//   };
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ctnn::io {

/// The `__metadata__` of a safetensors file: string keys to string values.
using Metadata = std::map<std::string, std::string>;

/// How a tensor is held in a file: F32 (loaded from F16, BF16, F64 too), an integer count (I64),
/// or int8 values (I8: a quantised model's weights).
enum class Stored { real, count, int8 };

namespace detail {
/// The dtype a tensor is saved as.
inline const char* stored_dtype(Stored s) noexcept { return s == Stored::count ? "I64" : s == Stored::int8 ? "I8" : "F32"; }
}  // namespace detail

/// One tensor of a file and the floats it is loaded into (T = float) or saved from (T = const float).
template <class T>
struct TensorRef {
    std::string name;                // in the file, after its block's prefix: "0.weight"
    std::vector<std::size_t> shape;  // as PyTorch has it, row-major: {out_features, in_features}
    T* data = nullptr;               // size() contiguous floats
    std::string owner;               // who expects it, for messages: "ctnn::Linear<3,2> at position 0"
    Stored stored = Stored::real;    // count: num_batches_tracked; int8: integers in [-128, 127]
    /// Loading: if set, receives the size() values in place of `data` (a Bf16Model packs them).
    std::function<void(const float*)> store{};
    /// Loading: if set, says why the size() values cannot be this tensor's ("" if they can),
    /// before anything is stored (an int8 model's zero point above 255, a scale not positive).
    std::function<std::string(const float*)> check{};

    std::size_t size() const noexcept {
        std::size_t n = 1;
        for (const std::size_t d : shape) n *= d;
        return n;
    }
};

/// Tensors that belong together (a model's weights, one optimizer moment of each weight).
template <class T>
struct TensorBlock {
    std::string prefix;  // put before every name in the file: "" for a model's weights, "adam.m." ...
    std::vector<TensorRef<T>> tensors;
    std::string owner;  // what they belong to, for messages: "ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>"
    /// Optional: why a file tensor whose name starts with `prefix` but is not in `tensors` has no
    /// place here, given its name without the prefix; "" falls back to "<owner> has no such
    /// tensor; it expects ...".
    std::function<std::string(std::string_view name)> why_unexpected;
};

/// How a load is checked beyond the tensors, and what it reports back.
struct LoadOptions {
    /// Called with the file's metadata once its tensors are known to fit, before its data is
    /// read: returns why the file is not for this reader, or "" if it is. A reason fails the
    /// load as LoadErrorKind::wrong_model.
    std::function<std::string(const Metadata&)> check_metadata;
    /// If not null, receives the file's metadata when the load succeeds.
    Metadata* metadata = nullptr;
};

}  // namespace ctnn::io
