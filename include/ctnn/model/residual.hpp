#pragma once
// Residual<Layers...>: a block of layers with a skip connection, y = main(x) + shortcut(x), as
// one layer of a Seq. The main path is the layers; the shortcut is the identity, or the layers
// of a Shortcut<...> given last (a 1x1 convolution that matches the channels):
//
//   // a TCN block: dilated convolution, PReLU, BatchNorm, and a 1x1 convolution on the skip path
//   using Block = ctnn::Residual<ctnn::Conv1D<4, 8, 3, ctnn::Dilation<2>>, ctnn::PReLU<8>,
//                                ctnn::BatchNorm1d<8>, ctnn::Shortcut<ctnn::Conv1D<4, 8, 1>>>;
//
// On sequences {C, T} the main path may be shorter in time than the shortcut (convolutions
// without padding): the shortcut's last steps are added, which is what a causal network streams
// (output t sees inputs up to t). Otherwise both paths end in the same shape, checked at the
// declaration (RESIDUAL_PATHS_DO_NOT_MATCH; a wrong layer inside names its place in the block).
//
// The block is a layer of the protocol (core/layer.hpp) made of layers: its tensors are theirs,
// named as a PyTorch module with attributes `main` and `shortcut` (nn.Sequential) names them
// ("3.main.0.weight", "3.shortcut.0.weight"); it trains (the inner outputs live in its training
// state, per batch row), updates inner running statistics, and streams if its layers do.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include "../core/aligned_buffer.hpp"
#include "../core/errors.hpp"
#include "../core/layer.hpp"
#include "../core/layer_table.hpp"
#include "../core/tensor_info.hpp"
#include "../core/type_at.hpp"
#include "inference.hpp"
#include "stream_pass.hpp"
#include "training_pass.hpp"

namespace ctnn {

/// The layers of a Residual's skip path, given as its last argument.
template <class... Layers>
struct Shortcut {
    static constexpr bool is_shortcut = true;
    static std::string cpp_name() {
        std::string s = "ctnn::Shortcut<";
        ((s += Layers::cpp_name() + ","), ...);
        if (sizeof...(Layers) > 0) s.pop_back();
        return s + ">";
    }
};

namespace error {
/// A Residual's main path ends in shape {C, H, W} and its shortcut (the identity: the block's
/// input) in {SC, SH, SW}; they must be equal, or sequences of the same channels with the main
/// path no longer in time. A 1x1 convolution on the skip path matches channels:
/// Residual<..., Shortcut<Conv1D<In, Out, 1>>>.
template <class Block, std::size_t C, std::size_t H, std::size_t W, std::size_t SC, std::size_t SH, std::size_t SW>
struct RESIDUAL_PATHS_DO_NOT_MATCH {
    static_assert(never<Block>,
                  "ctnn::Residual: the main path and the shortcut end in different shapes (the block, then the "
                  "main path's shape and the shortcut's above)");
};
/// Residual<> (or only a Shortcut<...>): the main path needs at least one layer.
template <class Block>
struct RESIDUAL_HAS_NO_LAYERS {
    static_assert(never<Block>, "ctnn::Residual needs at least one layer on its main path");
};
}  // namespace error

namespace detail {

template <class... L>
struct TypeList {};
template <class... A, class... B>
constexpr TypeList<A..., B...> operator+(TypeList<A...>, TypeList<B...>) {
    return {};
}
template <class T>
inline constexpr bool is_shortcut = requires { T::is_shortcut; };
template <class T>
constexpr auto main_part() {
    if constexpr (is_shortcut<T>) return TypeList<>{};
    else return TypeList<T>{};
}
template <class T>
constexpr auto shortcut_part() {
    if constexpr (is_shortcut<T>) return TypeList<T>{};
    else return TypeList<>{};
}
template <class List>
struct shortcut_layers {  // none, or more than one (Residual's static_assert says so)
    using type = TypeList<>;
};
template <class... L>
struct shortcut_layers<TypeList<Shortcut<L...>>> {
    using type = TypeList<L...>;
};

/// The marker a path's own diagnosis starts from: the block's input shape.
template <Shape S>
struct InputOf {
    static constexpr bool is_input_marker = true;
    static constexpr Shape shape = S;
    static std::string cpp_name() { return "ctnn::Input"; }
};

/// A list of layers fed shape In, seen as a Seq by the passes (table, depth, layer_type).
template <Shape In, class... L>
struct Path {
    static constexpr bool valid = true;
    static constexpr std::size_t depth = sizeof...(L);
    static constexpr Shape input_shape = In;
    static constexpr std::array<LayerEntry, depth> table = make_table_from<L...>(In);
    static constexpr TableSizes<depth> sizes{table};
    template <std::size_t I>
    using layer_type = type_at<I, L...>;
};

/// Where a path keeps what training needs, inside the block's state: one region of per-call
/// floats and `rows` times the per-row ones, as a Workspace lays out a Seq's.
template <class P>
struct PathMemory {
    float* states;  // P::sizes.train_state + rows * P::sizes.train_state_per_sample
    float* acts;    // rows * P::sizes.activations
    float* grads;   // rows * 2 * gradient_width
    float* scratch;
    std::size_t rows, gradient_width;

    float* activations(std::size_t i) const noexcept { return acts + rows * P::table[i].act_offset; }
    float* gradient_buffer(int k) const noexcept { return grads + rows * std::size_t(k) * gradient_width; }
    float* layer_scratch() const noexcept { return scratch; }
    float* train_state(std::size_t i) const noexcept {
        return states + P::table[i].state_offset + rows * P::table[i].sample_state_offset;
    }
};

/// The input layer L needs, given `in` (core/layer_table.hpp's rule).
template <class L>
constexpr Shape needed_input(Shape in) {
    if constexpr (has_input_shape<L>) return L::input_shape;
    else if constexpr (requires { L::expected_input(in); }) return L::expected_input(in);
    else return in;
}

/// Whether layers L... take `in` one after the other (the shape at the end in `out`).
template <class... L>
constexpr bool path_fits(Shape in, Shape& out) {
    bool ok = in.size() > 0;
    Shape s = in;
    (
        [&] {
            if (!ok) return;
            if (!(needed_input<L>(s) == s)) ok = false;
            else s = L::output_shape(s);
            if (s.size() == 0) ok = false;
        }(),
        ...);
    out = s;
    return ok;
}

/// Main path output `m` and shortcut output `k` add up: equal, or sequences with the main path
/// no longer in time (the shortcut's last steps are added).
constexpr bool paths_match(Shape m, Shape k) {
    return m == k || (m.rank == 2 && k.rank == 2 && m.dims[0] == k.dims[0] && m.dims[1] <= k.dims[1]);
}

/// Floats of stream state layers L... keep, on sequences of `channels` (a stream's step).
template <class... L>
constexpr std::size_t path_stream_state(std::size_t channels) {
    // The shapes a stream sees: any time length long enough for every kernel.
    Shape s{channels, std::size_t{1} << 20};
    std::size_t n = 0;
    (
        [&] {
            if constexpr (requires { L::stream_state_size(Shape{}); }) n += L::stream_state_size(Shape{s.dims[0]});
            s = L::output_shape(s);
        }(),
        ...);
    return n;
}

/// Per-row floats rounded up to 64 bytes.
constexpr std::size_t aligned(std::size_t n) noexcept { return round_up(n, floats_per_alignment); }

/// Decimal digits of n (the tensor names' positions).
constexpr std::size_t digits(std::size_t n) noexcept {
    std::size_t d = 1;
    while (n >= 10) n /= 10, ++d;
    return d;
}

/// A Residual's tensor table: each inner layer's tensors, named "main.<i>.<name>" and
/// "shortcut.<i>.<name>", at the offsets their blocks take one after the other.
template <class MainList, class ShortcutList>
struct ResidualTensors;
template <class... M, class... S>
struct ResidualTensors<TypeList<M...>, TypeList<S...>> {
    static constexpr bool layers_ok = ((Layer<M> && ...) && (Layer<S> && ...));
    static constexpr std::string_view main_prefix = "main.", shortcut_prefix = "shortcut.";

    // Calls f(prefix, position in its path, the layer's first float in the block, its tensors).
    template <class F>
    static constexpr void for_each_layer(F&& f) {
        if constexpr (layers_ok) {
            std::size_t offset = 0, position = 0;
            ((f(main_prefix, position++, offset, M::tensors), offset += block_floats(M::tensors)), ...);
            position = 0;
            ((f(shortcut_prefix, position++, offset, S::tensors), offset += block_floats(S::tensors)), ...);
        }
    }
    static constexpr std::size_t count() {
        std::size_t n = 0;
        for_each_layer([&](std::string_view, std::size_t, std::size_t, const auto& t) { n += t.size(); });
        return n;
    }
    static constexpr std::size_t name_chars() {
        std::size_t n = 0;
        for_each_layer([&](std::string_view prefix, std::size_t position, std::size_t, const auto& tensors) {
            for (const TensorInfo& t : tensors) n += prefix.size() + digits(position) + 1 + t.name.size();
        });
        return n;
    }
    static constexpr std::size_t main_floats() {
        std::size_t n = 0;
        if constexpr (layers_ok) ((n += block_floats(M::tensors)), ...);
        return n;
    }
};

/// The names, back to back ("main.0.weightmain.0.bias..."): a Residual's TensorInfos view into it.
template <class T>
inline constexpr auto residual_names = [] {
    std::array<char, T::name_chars() + 1> out{};
    std::size_t k = 0;
    T::for_each_layer([&](std::string_view prefix, std::size_t position, std::size_t, const auto& tensors) {
        for (const TensorInfo& t : tensors) {
            for (char c : prefix) out[k++] = c;
            const std::size_t d = digits(position);
            for (std::size_t i = 0, p = position; i < d; ++i, p /= 10) out[k + d - 1 - i] = char('0' + p % 10);
            k += d;
            out[k++] = '.';
            for (char c : t.name) out[k++] = c;
        }
    });
    return out;
}();

template <class T>
inline constexpr auto residual_tensors = [] {
    std::array<TensorInfo, T::count()> out{};
    std::size_t k = 0, at = 0;
    T::for_each_layer([&](std::string_view prefix, std::size_t position, std::size_t offset, const auto& tensors) {
        for (const TensorInfo& t : tensors) {
            const std::size_t length = prefix.size() + digits(position) + 1 + t.name.size();
            out[k] = t;
            out[k].name = std::string_view(residual_names<T>.data() + at, length);
            out[k].offset = offset + t.offset;
            at += length;
            ++k;
        }
    });
    return out;
}();

template <class MainList, class ShortcutList>
struct ResidualBlock;

template <class... M, class... S>
struct ResidualBlock<TypeList<M...>, TypeList<S...>> {
    using Tensors = ResidualTensors<TypeList<M...>, TypeList<S...>>;
    static constexpr bool layers_ok = Tensors::layers_ok;
    static constexpr bool identity_shortcut = sizeof...(S) == 0;
    static constexpr std::size_t main_depth = sizeof...(M);

public:
    /// The inner layers' tensors, main path first, each layer's block where it would be in a Seq.
    static constexpr auto tensors = residual_tensors<Tensors>;
    static constexpr std::size_t main_floats = Tensors::main_floats();

    /// The PyTorch module it mirrors: "Residual(nn.Sequential(...), nn.Sequential(...))", the
    /// module the tools in tools/ define (main path, then the shortcut if any).
    static std::string torch_module() {
        auto path = [](std::string s, auto... names) {
            ((s += names + ", "), ...);
            if (sizeof...(names) > 0) s.resize(s.size() - 2);
            return s + ")";
        };
        std::string s = "Residual(" + path("nn.Sequential(", ctnn::torch_module<M>()...);
        if constexpr (!identity_shortcut) s += ", " + path("nn.Sequential(", ctnn::torch_module<S>()...);
        return s + ")";
    }

    // ------------------------------------------------------------- shapes
    static constexpr Shape output_shape(Shape in) noexcept {
        Shape out{};
        if constexpr (layers_ok) path_fits<M...>(in, out);
        return out;
    }
    static constexpr Shape shortcut_shape(Shape in) noexcept {
        Shape out = in;
        if constexpr (layers_ok && !identity_shortcut) path_fits<S...>(in, out);
        return out;
    }
    static constexpr bool fits(Shape in) noexcept {
        if constexpr (!layers_ok || sizeof...(M) == 0) {
            return false;
        } else {
            Shape m{}, k = in;
            if (!((declaration_ok<M>() && ...) && (declaration_ok<S>() && ...))) return false;
            if (!path_fits<M...>(in, m)) return false;
            if constexpr (!identity_shortcut)
                if (!path_fits<S...>(in, k)) return false;
            return paths_match(m, k);
        }
    }
    /// `in` if both paths take it and end in shapes that add; otherwise none (Seq then asks
    /// input_error what is wrong).
    static constexpr Shape expected_input(Shape in) noexcept { return fits(in) ? in : Shape{}; }

    static constexpr bool trainable = (trainable_layer<M> && ...) && (trainable_layer<S> && ...);

    // ------------------------------------------------------------- memory
    template <Shape In>
    using MainPath = Path<In, M...>;
    template <Shape In>
    using ShortcutPath = Path<In, S...>;

private:
    template <class... L>
    static constexpr auto path_sizes(Shape in) {
        return TableSizes<sizeof...(L)>{make_table_from<L...>(in)};
    }
    // Inference runs the batch in chunks of rows, whose outputs fit this many floats.
    static constexpr std::size_t chunk_floats = std::size_t{1} << 14;
    static constexpr std::size_t row_floats(Shape in) noexcept {  // per row: two slots, the shortcut's output
        const auto m = path_sizes<M...>(in);
        std::size_t width = m.inference_width;
        if constexpr (!identity_shortcut) width = std::max(width, path_sizes<S...>(in).inference_width);
        return 2 * width + aligned(shortcut_shape(in).size());
    }
    static constexpr std::size_t inner_scratch(Shape in) noexcept {
        std::size_t s = path_sizes<M...>(in).layer_scratch;
        if constexpr (!identity_shortcut) s = std::max(s, path_sizes<S...>(in).layer_scratch);
        return s;
    }
    static constexpr std::size_t chunk_rows(Shape in) noexcept {
        return std::clamp<std::size_t>(chunk_floats / row_floats(in), 1, 64);
    }
    static constexpr std::size_t gradient_width(Shape in) noexcept {
        std::size_t w = path_sizes<M...>(in).gradient_width;
        if constexpr (!identity_shortcut) w = std::max(w, path_sizes<S...>(in).gradient_width);
        return w;
    }
    static constexpr std::size_t header_floats = floats_per_alignment;  // the batch of the last train_forward

public:
    static constexpr std::size_t scratch_size(Shape in) noexcept {
        if constexpr (!layers_ok) return 0;
        else return fits(in) ? chunk_rows(in) * row_floats(in) + inner_scratch(in) : 0;
    }
    /// Per call: the batch, and the inner layers' own per-call states (BatchNorm's statistics).
    static constexpr std::size_t train_state_size(Shape in) noexcept {
        if constexpr (!layers_ok) {
            return 0;
        } else {
            if (!fits(in)) return 0;
            std::size_t n = header_floats + path_sizes<M...>(in).train_state;
            if constexpr (!identity_shortcut) n += path_sizes<S...>(in).train_state;
            return n;
        }
    }
    /// Per batch row: the inner outputs backward reads, its gradient buffers, the inner layers'
    /// per-row states, the shortcut's input gradient and its padded output gradient.
    static constexpr std::size_t train_state_per_sample(Shape in) noexcept {
        if constexpr (!layers_ok) {
            return 0;
        } else {
            if (!fits(in)) return 0;
            const auto m = path_sizes<M...>(in);
            std::size_t n = m.train_state_per_sample + m.activations + 2 * gradient_width(in) + aligned(in.size()) +
                            aligned(shortcut_shape(in).size());
            if constexpr (!identity_shortcut) {
                const auto k = path_sizes<S...>(in);
                n += k.train_state_per_sample + k.activations;
            }
            return n;
        }
    }

private:
    // The block's training state, laid out for `rows` rows (train_forward's batch).
    template <Shape In>
    struct State {
        PathMemory<MainPath<In>> main;
        PathMemory<ShortcutPath<In>> shortcut;
        float* dx_shortcut;  // rows x In.size()
        float* dy_shortcut;  // rows x the shortcut's output size
    };
    template <Shape In>
    static State<In> state_for(float* state, std::size_t rows, float* scratch) noexcept {
        using MP = MainPath<In>;
        using SP = ShortcutPath<In>;
        const std::size_t gw = gradient_width(In);
        float* at = state + header_floats;
        auto take = [&](std::size_t n) {
            float* p = at;
            at += n;
            return p;
        };
        State<In> s{};
        s.main.states = take(MP::sizes.train_state + rows * MP::sizes.train_state_per_sample);
        s.shortcut.states = take(SP::sizes.train_state + rows * SP::sizes.train_state_per_sample);
        s.main.acts = take(rows * MP::sizes.activations);
        s.shortcut.acts = take(rows * SP::sizes.activations);
        s.main.grads = s.shortcut.grads = take(rows * 2 * gw);
        s.dx_shortcut = take(rows * aligned(In.size()));
        s.dy_shortcut = take(rows * aligned(shortcut_shape(In).size()));
        s.main.scratch = s.shortcut.scratch = scratch;
        s.main.rows = s.shortcut.rows = rows;
        s.main.gradient_width = s.shortcut.gradient_width = gw;
        return s;
    }
    static void store_rows(float* state, std::size_t rows) noexcept { std::memcpy(state, &rows, sizeof rows); }
    static std::size_t stored_rows(const float* state) noexcept {
        std::size_t rows;
        std::memcpy(&rows, state, sizeof rows);
        return rows;
    }

    // y[r] = m[r] + the last steps of k[r]: m has Out.size() floats a row, k Skip.size().
    template <Shape Out, Shape Skip>
    static void add_shortcut(const float* m, const float* k, std::size_t rows, float* y) noexcept {
        constexpr std::size_t n = Out.size(), ks = Skip.size();
        if constexpr (Out == Skip) {
            for (std::size_t i = 0; i < rows * n; ++i) y[i] = m[i] + k[i];
        } else {  // sequences: channel c's last Out.dims[1] of Skip.dims[1] steps
            constexpr std::size_t t = Out.dims[1], kt = Skip.dims[1], skip = kt - t;
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < Out.dims[0]; ++c)
                    for (std::size_t i = 0; i < t; ++i)
                        y[r * n + c * t + i] = m[r * n + c * t + i] + k[r * ks + c * kt + skip + i];
        }
    }
    // The reverse of the crop: g[r] = dy[r] placed in the last steps of each channel, zeros before.
    template <Shape Out, Shape Skip>
    static void pad_gradient(const float* dy, std::size_t rows, float* g) noexcept {
        constexpr std::size_t n = Out.size(), ks = Skip.size();
        constexpr std::size_t t = Out.dims[1], kt = Skip.dims[1], skip = kt - t;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < Out.dims[0]; ++c) {
                std::fill_n(g + r * ks + c * kt, skip, 0.0f);
                std::copy_n(dy + r * n + c * t, t, g + r * ks + c * kt + skip);
            }
    }

public:
    // ------------------------------------------------------------- inference
    template <Shape In, class Arch>
    static void forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch) noexcept {
        constexpr Shape out = output_shape(In), skip = shortcut_shape(In);
        constexpr std::size_t rows = chunk_rows(In), width = (row_floats(In) - aligned(skip.size())) / 2;
        float* slot0 = scratch;
        float* slot1 = slot0 + rows * width;
        float* k = slot1 + rows * width;
        float* inner = scratch + rows * row_floats(In);
        for (std::size_t r = 0; r < batch; r += rows) {
            const std::size_t n = std::min(rows, batch - r);
            const float* xr = x + r * In.size();
            float* yr = y + r * out.size();
            run_inference<MainPath<In>, Arch>(p, xr, n, yr, slot0, slot1, inner);
            if constexpr (identity_shortcut) {
                add_shortcut<out, skip>(yr, xr, n, yr);
            } else {
                run_inference<ShortcutPath<In>, Arch>(p + main_floats, xr, n, k, slot0, slot1, inner);
                add_shortcut<out, skip>(yr, k, n, yr);
            }
        }
    }

    // ------------------------------------------------------------- training
    template <Shape In, class Arch>
    static void train_forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch,
                              float* state, const TrainingStep& step) noexcept {
        constexpr Shape out = output_shape(In), skip = shortcut_shape(In);
        store_rows(state, batch);
        const State<In> s = state_for<In>(state, batch, scratch);
        train_forward_pass<MainPath<In>, Arch>(p, x, batch, s.main, step);
        const float* m = s.main.activations(sizeof...(M) - 1);
        if constexpr (identity_shortcut) {
            add_shortcut<out, skip>(m, x, batch, y);
        } else {
            // The shortcut's layers count on from the main path's: their own places.
            train_forward_pass<ShortcutPath<In>, Arch>(p + main_floats, x, batch, s.shortcut,
                                                       step.at_layer(main_depth));
            add_shortcut<out, skip>(m, s.shortcut.activations(sizeof...(S) - 1), batch, y);
        }
    }

    template <Shape In, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp, float* scratch, float* state) noexcept {
        constexpr Shape out = output_shape(In), skip = shortcut_shape(In);
        const State<In> s = state_for<In>(state, batch, scratch);
        backward_pass<MainPath<In>, Arch>(p, x, dy, batch, s.main, dp, dx);
        // The shortcut's output gradient: dy, in the last steps if the main path is shorter.
        const float* g = dy;
        if constexpr (!(out == skip)) {
            pad_gradient<out, skip>(dy, batch, s.dy_shortcut);
            g = s.dy_shortcut;
        }
        if constexpr (identity_shortcut) {
            if (dx)
                for (std::size_t i = 0; i < batch * In.size(); ++i) dx[i] += g[i];
        } else {
            backward_pass<ShortcutPath<In>, Arch>(p + main_floats, x, g, batch, s.shortcut, dp + main_floats,
                                                  dx ? s.dx_shortcut : nullptr);
            if (dx)
                for (std::size_t i = 0; i < batch * In.size(); ++i) dx[i] += s.dx_shortcut[i];
        }
    }

    /// The inner layers' update_buffers (BatchNorm's running statistics), from each share's state.
    template <Shape In>
        requires((has_buffer_update<M> || ...) || (has_buffer_update<S> || ...))
    static void update_buffers(float* p, std::span<const float* const> states) noexcept {
        auto inner = [&](std::size_t k) { return state_for<In>(const_cast<float*>(states[k]), stored_rows(states[k]), nullptr); };
        update_buffers_pass<MainPath<In>>(p, states.size(),
                                          [&](std::size_t k, std::size_t i) { return inner(k).main.train_state(i); });
        if constexpr (!identity_shortcut)
            update_buffers_pass<ShortcutPath<In>>(p + main_floats, states.size(), [&](std::size_t k, std::size_t i) {
                return inner(k).shortcut.train_state(i);
            });
    }

    // ------------------------------------------------------------- streaming
    // The paths a stream of `Channels` runs: a time length long enough for every kernel.
    template <std::size_t Channels>
    using MainStream = Path<Shape{Channels, std::size_t{1} << 20}, M...>;
    template <std::size_t Channels>
    using ShortcutStream = Path<Shape{Channels, std::size_t{1} << 20}, S...>;
    template <std::size_t Channels>
    static constexpr bool streams = [] {
        if constexpr (!StreamPlan<MainStream<Channels>>::valid) return false;
        else if constexpr (identity_shortcut) return true;
        else return StreamPlan<ShortcutStream<Channels>>::valid;
    }();

    static constexpr std::size_t stream_state_size(Shape in) noexcept {
        if constexpr (!layers_ok) return 0;
        else return path_stream_state<M...>(in.dims[0]) + path_stream_state<S...>(in.dims[0]);
    }
    /// One time step: the main path's output plus the shortcut's, each path keeping its state.
    template <Shape In, class Arch>
        requires streams<In.dims[0]>
    static void stream_step(const float* p, const float* x, float* y, float* state) noexcept {
        using MP = MainStream<In.dims[0]>;
        constexpr std::size_t out = MP::table[sizeof...(M) - 1].out.dims[0];
        stream_pass<MP>(p, x, y, state);
        if constexpr (identity_shortcut) {
            for (std::size_t c = 0; c < out; ++c) y[c] += x[c];
        } else {
            using SP = ShortcutStream<In.dims[0]>;
            std::array<float, out> k;
            stream_pass<SP>(p + main_floats, x, k.data(), state + StreamPlan<MP>::state_offsets[sizeof...(M)]);
            for (std::size_t c = 0; c < out; ++c) y[c] += k[c];
        }
    }

    // ------------------------------------------------------------- errors
    /// What is wrong with input `In`: the first problem inside a path (positions count from the
    /// path's first layer), or the paths' shapes.
    template <Shape In, class Block>
    static auto input_error_of() {
        constexpr Diagnosis main = diagnose<InputOf<In>, M...>();
        if constexpr (main.problem != Problem::none) {
            return static_cast<Report<Block, main.problem, main.position, InputOf<In>, M...>*>(nullptr);
        } else if constexpr (constexpr Diagnosis k = diagnose<InputOf<In>, S...>();
                             !identity_shortcut && k.problem != Problem::none) {
            return static_cast<Report<Block, k.problem, k.position, InputOf<In>, S...>*>(nullptr);
        } else {
            constexpr Shape m = output_shape(In), s = shortcut_shape(In);
            return static_cast<error::RESIDUAL_PATHS_DO_NOT_MATCH<Block, m.dims[0], m.dims[1], m.dims[2], s.dims[0],
                                                                  s.dims[1], s.dims[2]>*>(nullptr);
        }
    }
};

}  // namespace detail

template <class... Layers>
struct Residual
    : detail::ResidualBlock<decltype((detail::TypeList<>{} + ... + detail::main_part<Layers>())),
                            typename detail::shortcut_layers<decltype((detail::TypeList<>{} + ... +
                                                                       detail::shortcut_part<Layers>()))>::type> {
    static_assert((std::size_t{0} + ... + std::size_t(detail::is_shortcut<Layers>)) <= 1,
                  "ctnn::Residual: at most one Shortcut<...>, given last");

    static constexpr bool declaration_ok = (std::size_t{0} + ... + std::size_t(!detail::is_shortcut<Layers>)) > 0;
    using declaration_error = error::RESIDUAL_HAS_NO_LAYERS<Residual>;

    template <Shape In>
    using input_error = std::remove_pointer_t<decltype(Residual::template input_error_of<In, Residual>())>;

    static std::string cpp_name() {
        std::string s = "ctnn::Residual<";
        ((s += Layers::cpp_name() + ","), ...);
        if (sizeof...(Layers) > 0) s.pop_back();
        return s + ">";
    }
};

}  // namespace ctnn
