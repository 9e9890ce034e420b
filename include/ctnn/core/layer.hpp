#pragma once
// The layer protocol: everything Seq, the initialisers, the file readers and writers, the header
// exporter and the model summary know about a layer, declared on the layer type itself. A new
// layer, ctnn's or a user's, is complete in its own header; nothing elsewhere names it.
//
//   struct MyLayer {
//       // required
//       static constexpr auto tensors = ctnn::tensor_list<N>({...});  // or std::array<TensorInfo, 0>{}
//       static constexpr ctnn::Shape output_shape(ctnn::Shape in) noexcept;
//       static std::string cpp_name();  // its C++ spelling, namespace included: "ctnn::Linear<784,256>"
//       template <ctnn::Shape In, class Arch>  // y = layer(x) for `batch` samples, rows contiguous
//       static void forward(const float* params, const float* x, std::size_t batch, float* y) noexcept;
//       template <ctnn::Shape In, class Arch>  // adds to dparams; dx may be null (not needed)
//       static void backward(const float* params, const float* x, const float* y, const float* dy,
//                            std::size_t batch, float* dx, float* dparams) noexcept;
//       // optional
//       static constexpr ctnn::Shape input_shape{...};  // a fixed input (a Seq's first layer needs one)
//       static constexpr ctnn::Shape expected_input(ctnn::Shape in);  // the input it needs, given `in`
//                                // (`in` if that fits); otherwise the error LAYER_INPUT_NOT_ACCEPTED
//       static std::string torch_module();  // the PyTorch module it mirrors: "nn.Linear(784, 256)"
//       static constexpr bool declaration_ok = ...;  // false: its own parameters do not fit
//       using declaration_error = ...;  // together; Seq then instantiates this error (and nothing
//                                       // else), e.g. CONV_GROUPS_DO_NOT_DIVIDE_CHANNELS
//       template <class T> static auto view(T* params) noexcept;  // named views of its tensors
//       static constexpr std::size_t scratch_size(ctnn::Shape in);  // floats of working memory a
//                                // call needs whatever the batch (an im2col buffer); forward and
//                                // backward then take it as one more, last, argument `float* scratch`
//       // a layer that computes differently while training (BatchNorm, Dropout):
//       static constexpr std::size_t train_state_size(ctnn::Shape in);  // floats train_forward
//                                // keeps for backward and for update_buffers (per call, whatever
//                                // the batch); then also
//       template <ctnn::Shape In, class Arch>  // the training forward; forward is inference's
//       static void train_forward(const float* params, const float* x, std::size_t batch, float* y,
//                                 [float* scratch,] float* state, const ctnn::TrainingStep& step) noexcept;
//                                // and backward takes `state` as its last argument
//       static constexpr std::size_t train_state_per_sample(ctnn::Shape in);  // optional: floats
//                                // more per batch row, right after the train_state_size ones
//                                // (rounded up to 16): `batch` rows of them in each call
//       template <ctnn::Shape In>  // optional: after a step, fold the batch statistics of the
//       static void update_buffers(float* params, std::span<const float* const> states) noexcept;
//                                // step's states (one, or one per thread's share) into buffers
//       using epilogue_op = Op;  // element-wise op whose derivative is a function of its output:
//                                // Seq may fuse the layer into the one before it
//       static constexpr bool trainable = false;  // no backward: inference only (the Seq's training
//                                // calls are then the compile error LAYER_CANNOT_TRAIN)
//       static constexpr bool accepts_epilogue = true;  // forward<In, Arch, Op> applies an
//                                                       // epilogue_op to its outputs
//       static constexpr bool has_bf16_kernel = true;  // bf16 inference (model/bf16_model.hpp)
//       template <ctnn::Shape In, class Arch, class Op = identity_op>  // keeps its first tensor,
//       static void forward_bf16(const std::uint16_t* weight, const float* rest, const float* x,
//                                std::size_t batch, float* y) noexcept;  // a weight of rows x
//                                // (the rest of its dims) in bf16, packed (kernels/bf16.hpp);
//                                // `rest`: its other tensors (fp32, bf16 values) from the second
//                                // one's offset on. y: bf16 values, epilogue applied. Layers
//                                // without one run their fp32 forward on bf16 values.
//       static constexpr bool has_int8_kernel = true;  // int8 inference (model/int8_model.hpp)
//       template <ctnn::Shape In, class Arch, class Op = identity_op>  // a weight (int8 per row,
//       static void forward_int8(const kernels::Int8LinearParams& p,  // packed: kernels/int8.hpp)
//                                const float* x, std::size_t batch, float* y) noexcept;  // and at
//                                // most a bias; x, y fp32. Layers without one run in fp32.
//   };
//
// `params` points at the layer's tensors in the model's block, at the offsets tensor_list gave
// them. Arch is an xsimd architecture tag: a layer may ignore it and run scalar code. In is the
// input shape the Seq computed for this position. Rows are batch-major: sample r's input is
// x[r * In.size() ...]. Shapes are checked by Seq before any of this is instantiated.
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include "shape.hpp"
#include "tensor_info.hpp"

namespace ctnn {

namespace detail {
template <class T>
struct is_tensor_array : std::false_type {};
template <std::size_t N>
struct is_tensor_array<std::array<TensorInfo, N>> : std::true_type {};

struct probe_arch {};  // stands for an xsimd arch when the concept checks the signatures

template <class L>
constexpr Shape probe_shape() noexcept {
    if constexpr (requires { L::input_shape; }) return L::input_shape;
    else return Shape{1};
}
}  // namespace detail

/// What a layer's train_forward may draw randomness from (Dropout's masks): the run's seed, the
/// count of training steps, the batch row of the call's first sample (a thread's share of a
/// batch starts past 0), so a mask depends on the sample's place in the batch, not on how the
/// batch was split between threads, and the layer's place in the model (set by the training
/// pass), so that two Dropouts of one model draw different masks.
struct TrainingStep {
    std::uint64_t seed = 0;
    std::uint64_t step = 0;
    std::size_t first_row = 0;
    std::uint64_t layer = 0;

    /// The step as the layer at `position` of a list sees it (a block's inner lists number their
    /// layers again, from their own `layer`).
    constexpr TrainingStep at_layer(std::uint64_t position) const noexcept {
        TrainingStep s = *this;
        s.layer = layer * 0x100000001b3ULL + position + 1;  // distinct for each path of places
        return s;
    }
};

template <class L>
concept has_scratch = requires { L::scratch_size(Shape{}); };
/// False for a layer that declares `static constexpr bool trainable = false;`: it has no backward
/// (GRU and LSTM load their weights; a Seq with one runs inference only).
template <class L>
concept trainable_layer = !requires { L::trainable; } || bool(L::trainable);
template <class L>
concept has_train_state = requires { L::train_state_size(Shape{}); };

namespace detail {
// Whether L's forward, backward (and train_forward) take the arguments its declarations say:
// one concept per combination of the optional scratch and training state. (Written as concepts
// with the probe shape inline: clang 14 rejects a requires-expression that names a local
// constexpr variable in a template argument.)
template <class L>
concept plain_calls = requires(const float* p, const float* x, float* y, std::size_t b) {
    L::template forward<probe_shape<L>(), probe_arch>(p, x, b, y);
} && (!trainable_layer<L> || requires(const float* p, const float* x, float* y, std::size_t b) {
    L::template backward<probe_shape<L>(), probe_arch>(p, x, x, x, b, y, y);
});
template <class L>
concept scratch_calls = requires(const float* p, const float* x, float* y, std::size_t b) {
    L::template forward<probe_shape<L>(), probe_arch>(p, x, b, y, y);
} && (!trainable_layer<L> || requires(const float* p, const float* x, float* y, std::size_t b) {
    L::template backward<probe_shape<L>(), probe_arch>(p, x, x, x, b, y, y, y);
});
template <class L>
concept state_calls = requires(const float* p, const float* x, float* y, std::size_t b, const TrainingStep& k) {
    L::template forward<probe_shape<L>(), probe_arch>(p, x, b, y);
    L::template train_forward<probe_shape<L>(), probe_arch>(p, x, b, y, y, k);
    L::template backward<probe_shape<L>(), probe_arch>(p, x, x, x, b, y, y, y);
};
template <class L>
concept scratch_state_calls = requires(const float* p, const float* x, float* y, std::size_t b, const TrainingStep& k) {
    L::template forward<probe_shape<L>(), probe_arch>(p, x, b, y, y);
    L::template train_forward<probe_shape<L>(), probe_arch>(p, x, b, y, y, y, k);
    L::template backward<probe_shape<L>(), probe_arch>(p, x, x, x, b, y, y, y, y);
};
template <class L>
concept has_layer_calls = (!has_scratch<L> && !has_train_state<L> && plain_calls<L>) ||
                          (has_scratch<L> && !has_train_state<L> && scratch_calls<L>) ||
                          (!has_scratch<L> && has_train_state<L> && state_calls<L>) ||
                          (has_scratch<L> && has_train_state<L> && scratch_state_calls<L>);
}  // namespace detail

template <class L>
concept Layer = requires {
    requires detail::is_tensor_array<std::remove_cv_t<decltype(L::tensors)>>::value;
    { L::output_shape(Shape{}) } -> std::convertible_to<Shape>;
    { L::cpp_name() } -> std::convertible_to<std::string>;
} && detail::has_layer_calls<L>;

/// Floats of working memory layer L needs for input shape `in` (0 if it declares none).
template <class L>
constexpr std::size_t scratch_size(Shape in) noexcept {
    if constexpr (has_scratch<L>) return L::scratch_size(in);
    else return 0;
}

/// Floats layer L keeps from a training forward for its backward (0 if it declares none).
template <class L>
constexpr std::size_t train_state_size(Shape in) noexcept {
    if constexpr (has_train_state<L>) return L::train_state_size(in);
    else return 0;
}
/// Floats more per batch row (a Residual keeps its inner layers' outputs; 0 if it declares none).
template <class L>
constexpr std::size_t train_state_per_sample(Shape in) noexcept {
    if constexpr (requires { L::train_state_per_sample(in); }) return L::train_state_per_sample(in);
    else return 0;
}

namespace detail {
/// L's calls, with the working memory and training state passed to the layers that declare them.
template <class L, Shape In, class Arch, class... Epilogue>
inline void layer_forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch) noexcept {
    if constexpr (has_scratch<L>) L::template forward<In, Arch, Epilogue...>(p, x, batch, y, scratch);
    else L::template forward<In, Arch, Epilogue...>(p, x, batch, y);
}
template <class L, Shape In, class Arch>
inline void layer_train_forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch,
                                float* state, const TrainingStep& step) noexcept {
    if constexpr (has_scratch<L>) L::template train_forward<In, Arch>(p, x, batch, y, scratch, state, step);
    else L::template train_forward<In, Arch>(p, x, batch, y, state, step);
}
template <class L, Shape In, class Arch>
inline void layer_backward(const float* p, const float* x, const float* y, const float* dy, std::size_t batch,
                           float* dx, float* dp, float* scratch, float* state) noexcept {
    if constexpr (has_scratch<L> && has_train_state<L>)
        L::template backward<In, Arch>(p, x, y, dy, batch, dx, dp, scratch, state);
    else if constexpr (has_scratch<L>)
        L::template backward<In, Arch>(p, x, y, dy, batch, dx, dp, scratch);
    else if constexpr (has_train_state<L>)
        L::template backward<In, Arch>(p, x, y, dy, batch, dx, dp, state);
    else
        L::template backward<In, Arch>(p, x, y, dy, batch, dx, dp);
}
}  // namespace detail

/// Whether L keeps buffers that training updates after each step (BatchNorm's running statistics).
template <class L>
inline constexpr bool has_buffer_update = requires(float* p, std::span<const float* const> states) {
    L::template update_buffers<detail::probe_shape<L>()>(p, states);
};

/// The marker that declares a Seq's input shape, Input<C, H, W>: not a layer, and it takes no
/// position (layers/input.hpp).
template <class T>
inline constexpr bool is_input_marker = requires { T::is_input_marker; };

/// Whether L declares a fixed input shape (else it takes the shape of the layer before).
template <class L>
inline constexpr bool has_input_shape = requires { { L::input_shape } -> std::convertible_to<Shape>; };

/// An element-wise layer Seq can fuse into the layer before it.
template <class L>
inline constexpr bool is_epilogue = requires { typename L::epilogue_op; };

template <class L>
inline constexpr bool accepts_epilogue = [] {
    if constexpr (requires { L::accepts_epilogue; }) return bool(L::accepts_epilogue);
    else return false;
}();

/// The PyTorch module L mirrors, or "" if it declares none.
template <class L>
std::string torch_module() {
    if constexpr (requires { L::torch_module(); }) return L::torch_module();
    else return {};
}

/// L's name in files, messages and reports: its C++ spelling, less a leading "ctnn::" (a user's
/// layer keeps its namespace): "Linear<784,256>", "ReLU", "user::Scale<4>".
template <class L>
std::string layer_name() {
    std::string s = L::cpp_name();
    constexpr std::string_view own = "ctnn::";
    if (s.compare(0, own.size(), own) == 0) s.erase(0, own.size());
    return s;
}

/// "ctnn::Linear<784,256>" from ("ctnn::Linear", {784, 256}): how layers spell template names.
inline std::string template_spelling(std::string_view name, std::initializer_list<long long> args) {
    std::string s(name);
    s += '<';
    bool first = true;
    for (long long a : args) {
        if (!first) s += ',';
        s += std::to_string(a);
        first = false;
    }
    return s + '>';
}

}  // namespace ctnn
