#pragma once
// Inference, written once for every way to hold a model's parameters: the model itself (Seq),
// a view of any block in its layout (ModelView: a compiled-in array, a mapped file) and the
// run-time dispatched build (DispatchedInference). Each supplies run(); InferenceApi turns it
// into the checked calls users make:
//   forward(x, y)                  one sample, sizes checked at compile time
//   forward(x) -> std::array       the same, returning the outputs
//   forward(xs, ys, scratch)       a batch: the sample count comes from the spans
//   predict(x), predict(xs, classes, scratch), probabilities(x)   for classifiers
// None allocates, throws or locks, and a const model serves any number of threads at once.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/errors.hpp"
#include "../core/extent.hpp"
#include "../core/layer_table.hpp"
#include "../core/workspace.hpp"
#include "../kernels/activation_ops.hpp"

namespace ctnn {
/// The most stack single-sample forward(x, y) may use for a model's intermediate outputs and
/// working memory (a LeNet takes about 85 KiB); larger models run through an InferenceScratch.
inline constexpr std::size_t max_stack_bytes = std::size_t{1} << 20;
}  // namespace ctnn

namespace ctnn::detail {

/// The element-wise op the step starting at I applies to its output (identity if none).
template <class Net, std::size_t I, bool Fused = Net::table[I].step_end != I>
struct StepEpilogue {
    using type = kernels::identity_op;
};
template <class Net, std::size_t I>
struct StepEpilogue<Net, I, true> {
    using type = typename Net::template layer_type<I + 1>::epilogue_op;
};

/// The step that starts at position I: layer I on its own parameters `layer_params`, with the
/// element-wise layer after it as its epilogue when the table fused the two.
template <class Net, std::size_t I, class Arch>
void layer_step(const float* layer_params, std::size_t batch, const float* in, float* out, float* scratch) noexcept {
    using L = typename Net::template layer_type<I>;
    constexpr LayerEntry e = Net::table[I];
    if constexpr (e.step_end != I)
        layer_forward<L, e.in, Arch, typename Net::template layer_type<I + 1>::epilogue_op>(layer_params, in, batch,
                                                                                           out, scratch);
    else
        layer_forward<L, e.in, Arch>(layer_params, in, batch, out, scratch);
}

/// The same, layer I's parameters found in the model's block `params`.
template <class Net, std::size_t I, class Arch>
void forward_step(const float* params, std::size_t batch, const float* in, float* out, float* scratch) noexcept {
    layer_step<Net, I, Arch>(params + Net::table[I].param_offset, batch, in, out, scratch);
}

/// Walks Net's steps in order: step(std::integral_constant<std::size_t, I>{}, in, out) for each
/// position I that starts a step, reading the input x or the buffer the step before wrote and
/// writing the buffer the table assigns, or y for the last step. Every way of holding a model
/// (fp32, bf16, int8) runs its steps through this one walk.
template <class Net, class Step>
void for_each_step(const float* x, float* y, float* slot0, float* slot1, Step&& step) noexcept {
    float* const slots[2] = {slot0, slot1};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr LayerEntry e = Net::table[I];
                if constexpr (!e.fused) {
                    const float* in = I == 0 ? x : slots[Net::table[I == 0 ? 0 : I - 1].slot];
                    step(std::integral_constant<std::size_t, I>{}, in,
                         e.step_end == Net::depth - 1 ? y : slots[e.slot]);
                }
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});
}

/// y = net(x) for `batch` rows through the two ping-pong buffers the table assigns.
template <class Net, class Arch>
void run_inference(const float* params, const float* x, std::size_t batch, float* y, float* slot0, float* slot1,
                   float* scratch) noexcept {
    for_each_step<Net>(x, y, slot0, slot1,
                       [&]<std::size_t I>(std::integral_constant<std::size_t, I>, const float* in, float* out) {
                           forward_step<Net, I, Arch>(params, batch, in, out, scratch);
                       });
}

/// The first largest of n values (torch.argmax).
inline std::size_t argmax(const float* v, std::size_t n) noexcept { return std::size_t(std::max_element(v, v + n) - v); }

template <class Self, class Net>
class InferenceApi {
public:
    /// The Seq whose inference this is (a Seq's own type; a view's or a Bf16Model's network).
    using network = Net;

    /// One sample: y = net(x). x and y are fixed-size (std::array, C array, std::span<float, N>)
    /// and their sizes are checked at compile time. Scratch lives on the stack.
    template <class X, class Y>
    void forward(const X& x, Y&& y) const noexcept {
        using Out = std::remove_reference_t<Y>;
        constexpr std::size_t nx = static_extent<const X>(), ny = static_extent<Out>();
        // At most one error: the first size that does not fit.
        if constexpr (!Net::valid) return;
        else if constexpr (nx != Net::in_size) report_extent<Net::in_size, nx, error::INPUT_SIZE_DOES_NOT_MATCH_MODEL, X>();
        else if constexpr (ny != Net::out_size) report_extent<Net::out_size, ny, error::OUTPUT_SIZE_DOES_NOT_MATCH_MODEL, Out>();
        else one(std::data(x), std::data(y));
    }

    /// One sample, returning the outputs.
    template <class X>
    auto forward(const X& x) const noexcept {
        std::array<float, Net::out_size> y{};
        forward(x, y);
        return y;
    }

    /// A batch, rows contiguous: xs holds n x Net::in_size floats and ys n x Net::out_size, for
    /// any n up to scratch.max_batch(). A wrong size aborts with the numbers and the caller's line.
    void forward(std::span<const float> xs, std::span<float> ys, InferenceScratch<Net>& scratch,
                 Caller caller = Caller::current()) const noexcept {
        const std::size_t batch = batch_size(xs, scratch, caller);
        CTNN_REQUIRE(ys.size() == batch * Net::out_size, caller,
                     "forward: %zu inputs need %zu output floats (%zu x Net::out_size %zu), but ys has %zu", batch,
                     batch * Net::out_size, batch, Net::out_size, ys.size());
        if constexpr (Net::valid)
            self().run(xs.data(), batch, ys.data(), scratch.buffer(0), scratch.buffer(1), scratch.layer_scratch());
    }

    /// The class of one sample: the index of its largest output.
    template <class X>
    std::size_t predict(const X& x) const noexcept {
        const auto y = forward(x);
        return argmax(y.data(), y.size());
    }

    /// The classes of a batch: classes.size() must equal the number of samples in xs.
    template <class Label>
    void predict(std::span<const float> xs, std::span<Label> classes, InferenceScratch<Net>& scratch,
                 Caller caller = Caller::current()) const noexcept {
        const std::size_t batch = batch_size(xs, scratch, caller);
        CTNN_REQUIRE(classes.size() == batch, caller, "predict: %zu inputs but room for %zu classes", batch,
                     classes.size());
        float* y = scratch.outputs();
        forward(xs, {y, batch * Net::out_size}, scratch, caller);
        for (std::size_t r = 0; r < batch; ++r) classes[r] = Label(argmax(y + r * Net::out_size, Net::out_size));
    }

    /// softmax(net(x)) for one sample: class probabilities from a classifier's logits.
    template <class X>
    auto probabilities(const X& x) const noexcept {
        auto y = forward(x);
        const float m = y[argmax(y.data(), y.size())];
        float sum = 0;
        for (float& v : y) sum += v = std::exp(v - m);
        for (float& v : y) v /= sum;
        return y;
    }

private:
    const Self& self() const noexcept { return static_cast<const Self&>(*this); }

    // One sample's intermediate outputs and the layers' working memory live on the stack, up to
    // max_stack_bytes; a larger model is a compile error that points to InferenceScratch.
    void one(const float* x, float* y) const noexcept {
        constexpr std::size_t width = Net::sizes.inference_width ? Net::sizes.inference_width : 1;
        constexpr std::size_t layer = Net::sizes.layer_scratch ? Net::sizes.layer_scratch : 1;
        constexpr std::size_t bytes = (2 * width + layer) * sizeof(float);
        if constexpr (bytes > max_stack_bytes) {
            (void)error::MODEL_TOO_LARGE_FOR_STACK_INFERENCE<bytes, max_stack_bytes>{};
        } else {
            alignas(alignment) float slots[2][width];
            alignas(alignment) float scratch[layer];
            self().run(x, 1, y, slots[0], slots[1], scratch);
        }
    }

    static std::size_t batch_size(std::span<const float> xs, const InferenceScratch<Net>& scratch, Caller caller) noexcept {
        const std::size_t batch = xs.size() / Net::in_size;
        CTNN_REQUIRE(xs.size() % Net::in_size == 0, caller,
                     "forward: xs has %zu floats, not a whole number of samples of Net::in_size %zu", xs.size(),
                     Net::in_size);
        CTNN_REQUIRE(batch <= scratch.max_batch(), caller,
                     "forward: a batch of %zu samples, but the InferenceScratch holds at most %zu", batch,
                     scratch.max_batch());
        return batch;
    }
};

}  // namespace ctnn::detail
