#pragma once
// Seq<Layers...>: a network as a type. The layer list is folded once, at compile time, into
// `table` (shapes, offsets, fusion; see layer_table.hpp), and a wrong declaration stops there
// with one error naming the layers and sizes. The object owns one aligned parameter block on
// the heap (allocated once, by the constructor), so a Seq is small wherever it lives.
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/layer_table.hpp"
#include "../core/parameter_block.hpp"
#include "../core/workspace.hpp"
#include "../kernels/activation_ops.hpp"
#include "../core/tensor_info.hpp"

namespace ctnn {

namespace detail {

/// Compile-time extent of a fixed-size argument (std::array, C array, std::span<T, N>), or
/// dynamic_extent when the size is only known at run time.
template <class T>
constexpr std::size_t static_extent() {
    if constexpr (requires(T& t) { std::span(t); })
        return decltype(std::span(std::declval<T&>()))::extent;
    else
        return std::dynamic_extent;
}

/// Instantiates the error for an argument of the wrong size. Called only when the sizes are
/// known to disagree; the decision itself never depends on the error type, so no compiler turns
/// the one error into several.
template <std::size_t Expected, std::size_t Given, template <std::size_t, std::size_t> class Error, class Arg>
void report_extent() noexcept {
    if constexpr (Given == std::dynamic_extent) {
        [[maybe_unused]] error::ARGUMENT_NEEDS_A_FIXED_SIZE<Arg> e;
    } else {
        [[maybe_unused]] Error<Expected, Given> e;
    }
}

/// One entry of a model's tensor table: the tensor PyTorch would call "<position>.<name>".
struct ModelTensor {
    std::size_t position;
    TensorInfo info;
    std::size_t offset;  // floats from the start of the parameter block
    std::string name() const { return std::to_string(position) + "." + std::string(info.name); }
};

}  // namespace detail

template <class... Layers>
class Seq : detail::Report<Seq<Layers...>, detail::diagnose<Layers...>().problem, detail::diagnose<Layers...>().position,
                           Layers...> {
public:
    /// False for a declaration that failed its checks (the base above then is the error that
    /// says why); everything else is then inert, so no follow-on errors.
    static constexpr bool valid = detail::diagnose<Layers...>().problem == detail::Problem::none;
    static constexpr std::size_t depth = sizeof...(Layers);
    static constexpr std::array<detail::LayerEntry, depth> table = detail::make_layer_table<Layers...>();

    template <std::size_t I>
    using layer_type = detail::type_at<I, Layers...>;

    static constexpr Shape input_shape = valid ? table.front().in : Shape{};
    static constexpr Shape output_shape = valid ? table.back().out : Shape{};
    static constexpr std::size_t in_size = input_shape.size();
    static constexpr std::size_t out_size = output_shape.size();
    /// Floats in the parameter block, alignment padding between tensors included.
    static constexpr std::size_t param_count = [] {
        std::size_t n = 0;
        for (const auto& e : table) n = e.param_offset + e.param_size;
        return n;
    }();
    static constexpr std::size_t max_width = [] {
        std::size_t w = in_size;
        for (const auto& e : table) w = std::max(w, e.out.size());
        return w;
    }();
    static constexpr std::size_t padded_max_width = detail::round_up(max_width, floats_per_alignment);
    static constexpr std::size_t activation_floats_per_sample = [] {
        std::size_t n = 0;
        for (const auto& e : table) n = e.act_offset + detail::round_up(e.out.size(), floats_per_alignment);
        return n;
    }();

    /// Every tensor, in layer order, with its PyTorch nn.Sequential name and place in the block.
    static constexpr auto tensors = [] {
        constexpr std::size_t count = (std::size_t{0} + ... + Layers::tensors.size());
        std::array<detail::ModelTensor, count> out{};
        std::size_t k = 0, position = 0;
        auto add = [&]<class Layer>() {
            for (const TensorInfo& t : Layer::tensors)
                out[k++] = {position, t, table[position].param_offset + t.offset};
            ++position;
        };
        (add.template operator()<Layers>(), ...);
        return out;
    }();
    /// Parameters a user would count (PyTorch's numel), without alignment padding.
    static constexpr std::size_t parameter_count = [] {
        std::size_t n = 0;
        for (const auto& t : tensors) n += t.info.size();
        return n;
    }();

    /// Zero parameters; see ctnn::init for the initialisers.
    Seq() : params_(param_count) {}

    float* parameters() noexcept { return params_.data(); }
    const float* parameters() const noexcept { return params_.data(); }

    /// Views of layer I's tensors (`weight` Out x In row-major and `bias` for a Linear).
    template <std::size_t I>
    auto layer() noexcept { return layer_view<I>(params_.data()); }
    template <std::size_t I>
    auto layer() const noexcept { return layer_view<I>(params_.data()); }
    /// The same views into any block of this model's layout (gradients, optimizer state, an
    /// embedded constant array).
    template <std::size_t I, class T>
    static auto layer_view(T* block) noexcept {
        return layer_type<I>::view(block + table[I].param_offset);
    }

    // ---------------------------------------------------------------- inference

    /// One sample: y = net(x). Sizes are checked at compile time; no allocation (two buffers of
    /// the widest layer live on the stack), no exceptions, no locks; safe to call from several
    /// threads on one const model.
    template <class X, class Y>
    void forward(const X& x, Y&& y) const noexcept {
        if constexpr (valid) {
            constexpr std::size_t nx = detail::static_extent<const X>();
            constexpr std::size_t ny = detail::static_extent<std::remove_reference_t<Y>>();
            if constexpr (nx != in_size)
                detail::report_extent<in_size, nx, error::INPUT_SIZE_DOES_NOT_MATCH_MODEL, X>();
            else if constexpr (ny != out_size)
                detail::report_extent<out_size, ny, error::OUTPUT_SIZE_DOES_NOT_MATCH_MODEL, std::remove_reference_t<Y>>();
            else
                infer(params_.data(), std::data(x), std::data(y));
        }
    }

    /// One sample (x: in_size floats, y: out_size floats) with the parameters in any block of
    /// this layout, e.g. a compiled-in constant array; Arch picks the instruction set.
    template <class Arch = kernels::default_arch>
    static void infer(const float* params, const float* x, float* y) noexcept {
        alignas(alignment) float scratch[2][padded_max_width];
        run_inference<Arch>(params, x, 1, y, scratch[0], scratch[1]);
    }

    /// A batch of samples, rows contiguous: x is batch x in_size, y is batch x out_size.
    void forward(std::span<const float> x, std::size_t batch, std::span<float> y, Workspace<Seq>& ws) const noexcept {
        check_batch(x.size(), batch, y.size(), ws);
        run_inference<kernels::default_arch>(params_.data(), x.data(), batch, y.data(), ws.gradient_buffer(0),
                                             ws.gradient_buffer(1));
    }

    // ---------------------------------------------------------------- training

    /// Forward for training: keeps every layer's output in `ws` for backward. Returns the
    /// batch x out_size outputs (logits), which live in `ws`.
    std::span<const float> train_forward(std::span<const float> x, std::size_t batch, Workspace<Seq>& ws) const noexcept {
        check_batch(x.size(), batch, batch * out_size, ws);
        const float* params = params_.data();
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (forward_step<I, kernels::default_arch>(params, batch, ws_out<I>(ws), ws_in<I>(ws, x.data())), ...);
        }(std::make_index_sequence<depth>{});
        return {ws.activations(depth - 1), batch * out_size};
    }

    /// Backward through the batch last given to train_forward: dy (batch x out_size) is the loss
    /// gradient at the output. Adds the parameter gradients to `grads` and, if dx is not empty,
    /// writes the input gradient (batch x in_size) there.
    void backward(std::span<const float> x, std::size_t batch, std::span<const float> dy, Workspace<Seq>& ws,
                  Gradients<Seq>& grads, std::span<float> dx = {}) const noexcept {
        check_batch(x.size(), batch, dy.size(), ws);
        CTNN_CHECK(dx.empty() || dx.size() == batch * in_size, "dx must be empty or batch x in_size");
        BackwardState s{dy.data(), -1};
        const float* params = params_.data();
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (backward_step<depth - 1 - I, kernels::default_arch>(params, x.data(), batch, ws, grads.data(),
                                                                  dx.empty() ? nullptr : dx.data(), s),
             ...);
        }(std::make_index_sequence<depth>{});
    }

private:
    AlignedBuffer params_;

    static void check_batch(std::size_t x_size, std::size_t batch, std::size_t y_size, const Workspace<Seq>& ws) noexcept {
        CTNN_CHECK(x_size == batch * in_size, "input must hold batch x Net::in_size floats");
        CTNN_CHECK(y_size == batch * out_size, "output must hold batch x Net::out_size floats");
        CTNN_CHECK(batch <= ws.max_batch(), "batch larger than the workspace's max_batch");
    }

    // Position of the last layer computed by the step that starts at I (I, or I+1 when an
    // activation is fused into it).
    template <std::size_t I>
    static constexpr std::size_t step_end = (I + 1 < depth && table[I + 1].fused) ? I + 1 : I;

    template <std::size_t I, bool Fused = (step_end<I> != I)>
    struct epilogue_of {
        using type = kernels::identity_op;
    };
    template <std::size_t I>
    struct epilogue_of<I, true> {
        using type = typename layer_type<I + 1>::op;
    };
    template <std::size_t I>
    using epilogue = typename epilogue_of<I>::type;

    template <std::size_t I>
    static float* ws_out(Workspace<Seq>& ws) noexcept { return ws.activations(step_end<I>); }
    template <std::size_t I>
    static const float* ws_in(Workspace<Seq>& ws, const float* x) noexcept {
        if constexpr (I == 0) return x;
        else return ws.activations(I - 1);
    }

    template <std::size_t I, class Arch>
    static void forward_step(const float* params, std::size_t batch, float* out, const float* in) noexcept {
        if constexpr (!table[I].fused)
            layer_type<I>::template forward<table[I].in.size(), epilogue<I>, Arch>(params + table[I].param_offset, in,
                                                                                   batch, out);
    }

    template <class Arch>
    static void run_inference(const float* params, const float* x, std::size_t batch, float* y, float* slot0,
                              float* slot1) noexcept {
        float* const slots[2] = {slot0, slot1};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (forward_step<I, Arch>(params, batch, step_end<I> == depth - 1 ? y : slots[table[I].slot],
                                   I == 0 ? x : slots[table[I == 0 ? 0 : I - 1].slot]),
             ...);
        }(std::make_index_sequence<depth>{});
    }

    struct BackwardState {
        const float* grad;  // gradient at the output of the step being processed
        int buffer;         // workspace gradient buffer holding it, -1 for the caller's dy
    };

    template <std::size_t I, class Arch>
    static void backward_step(const float* params, const float* x, std::size_t batch, Workspace<Seq>& ws, float* grads,
                              float* dx_out, BackwardState& s) noexcept {
        if constexpr (!table[I].fused) {
            constexpr std::size_t end = step_end<I>;
            const float* g = s.grad;
            int cur = s.buffer;
            if constexpr (end != I) {  // the fused activation's backward first, in place if we own g
                const int b = cur < 0 ? 0 : cur;
                float* dz = ws.gradient_buffer(b);
                layer_type<end>::template backward<table[end].in.size(), Arch>(nullptr, nullptr, ws.activations(end), g,
                                                                               batch, dz, nullptr);
                g = dz;
                cur = b;
            }
            float* dx = nullptr;
            if constexpr (I == 0) dx = dx_out;
            else dx = ws.gradient_buffer(cur == 0 ? 1 : 0);
            const float* in = I == 0 ? x : ws.activations(I == 0 ? 0 : I - 1);
            layer_type<I>::template backward<table[I].in.size(), Arch>(params + table[I].param_offset, in,
                                                                       ws.activations(I), g, batch, dx,
                                                                       grads + table[I].param_offset);
            s = {dx, cur == 0 ? 1 : 0};
        }
    }
};

}  // namespace ctnn
