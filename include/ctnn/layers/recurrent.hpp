#pragma once
// GRU<In, Hidden> and LSTM<In, Hidden>: one layer of torch.nn.GRU / torch.nn.LSTM (batch_first,
// unidirectional, with biases) over a sequence {In, T}, giving every step's hidden state,
// {Hidden, T}; the state starts at zero for each sample. Stack two as two layers of the Seq.
// Tensors as PyTorch's state_dict names them: weight_ih_l0 [G Hidden, In], weight_hh_l0
// [G Hidden, Hidden], bias_ih_l0 and bias_hh_l0 [G Hidden], with the gates in PyTorch's order
// (GRU r, z, n: G = 3; LSTM i, f, g, o: G = 4), all U(-1/sqrt(Hidden), 1/sqrt(Hidden)) at first.
//
// Inference only: the weights come from PyTorch (tools/torch_to_safetensors.py) or from a file;
// a Seq with a recurrent layer does not train (LAYER_CANNOT_TRAIN). A Stream (model/stream.hpp)
// runs them one step at a time, with the hidden state (and the LSTM's cell) in the stream; the
// whole-sequence forward runs the same step, so the two agree bit for bit, except where a long
// sequence's steps run on W_hh packed by columns (AVX2: kernels::packs_hidden), faster and equal
// to float rounding (the hidden product's sums in another order).
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include "../core/aligned_buffer.hpp"
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/recurrent.hpp"
#include "../kernels/transpose.hpp"

namespace ctnn {

namespace detail {

template <std::size_t In, std::size_t Hidden, bool Lstm>
struct Recurrent {
    static_assert(In > 0 && Hidden > 0, "ctnn::GRU, ctnn::LSTM: sizes must be positive");
    static constexpr std::size_t gates = Lstm ? 4 : 3, rows = gates * Hidden;
    static constexpr std::size_t input_size = In, hidden_size = Hidden;
    static constexpr bool trainable = false;

    static constexpr auto tensors = tensor_list<4>({{
        {"weight_ih_l0", TensorRole::weight, {rows, In}, DefaultInit::uniform_inv_sqrt(Hidden)},
        {"weight_hh_l0", TensorRole::weight, {rows, Hidden}, DefaultInit::uniform_inv_sqrt(Hidden)},
        {"bias_ih_l0", TensorRole::bias, {rows}, DefaultInit::uniform_inv_sqrt(Hidden)},
        {"bias_hh_l0", TensorRole::bias, {rows}, DefaultInit::uniform_inv_sqrt(Hidden)},
    }});

    /// A sequence of In channels, any length.
    static constexpr Shape expected_input(Shape in) noexcept {
        return Shape{In, in.rank == 2 && in.dims[1] > 0 ? in.dims[1] : 1};
    }
    static constexpr Shape output_shape(Shape in) noexcept { return Shape{Hidden, in.dims[1]}; }
    static constexpr std::size_t state_floats = Lstm ? 2 * Hidden : Hidden;  // h (and c)
    // Steps whose input products forward computes at once (unpacked): their 4 KB stay in L1 next
    // to W_hh (48 KB for a GRU of 64 units, which a larger chunk evicts: 32 steps cost 15% more).
    static constexpr std::size_t chunk = std::clamp<std::size_t>(1024 / rows, 1, 32);
    // States recorded between two transpositions into y: about 256 steps, whole chunks.
    static constexpr std::size_t record_steps = (256 + chunk - 1) / chunk * chunk;
    // Sequences from this length on run on a copy of W_hh packed by columns where that is faster
    // (kernels::packs_hidden): its packing costs about as much as 16 steps save.
    static constexpr std::size_t pack_from = 32;
    static constexpr bool may_pack(Shape in) noexcept {
        return in.dims[1] >= pack_from && kernels::packable_hidden<gates, Hidden>;
    }
    static constexpr std::size_t record_size(Shape in) noexcept { return std::min(in.dims[1], record_steps) * Hidden; }
    static constexpr std::size_t scratch_size(Shape in) noexcept {
        return record_size(in) + (may_pack(in) ? kernels::packed_hidden_size<gates, Hidden> : 0);
    }

    static std::string cpp_name() { return template_spelling(Lstm ? "ctnn::LSTM" : "ctnn::GRU", {In, Hidden}); }
    static std::string torch_module() {
        return std::string(Lstm ? "nn.LSTM(" : "nn.GRU(") + std::to_string(In) + ", " + std::to_string(Hidden) +
               ", batch_first=True)";
    }

    /// Every sample from a zero state; step t reads column t of x and writes column t of y, each
    /// step computing what a stream's step does (bit for bit unless packed). The input products
    /// of a few steps at a time go first (they do not depend on h); the states are recorded in
    /// the scratch, about 256 steps at a time (64 KiB for 64 units: in L2), and each such block is
    /// transposed into y's columns in register tiles (kernels/transpose.hpp). Written straight
    /// into y column by column, y's rows kept 64 cache lines busy and pushed W_hh (48 KB for 64
    /// units) out of L1; recorded whole (1 MiB for 4096 steps), the record went through L3.
    template <Shape S, class Arch>
    static void forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch) noexcept {
        constexpr std::size_t T = S.dims[1];
        constexpr bool packed = may_pack(S) && kernels::packs_hidden<gates, Hidden, Arch>;
        const float *w_ih = p + tensors[0].offset, *w_hh = p + tensors[1].offset;
        const float *b_ih = p + tensors[2].offset, *b_hh = p + tensors[3].offset;
        if constexpr (packed) {  // once for the whole batch
            float* packing = scratch + record_size(S);
            kernels::pack_hidden<gates, Hidden, Arch>(w_hh, packing);
            w_hh = packing;
        }
        alignas(64) float state[state_floats];  // h (and c)
        alignas(64) float gh[rows];
        // Packed steps are faster with each input product computed just before its step
        // (Zen 3, sequences of 4096: 2-5% at 8 to 32 units; the unpacked ones were not).
        constexpr std::size_t ahead = packed ? 1 : chunk;
        alignas(64) float gi[ahead * rows];
        alignas(64) float xt[In];
        float* hs = scratch;  // record_steps x Hidden
        for (std::size_t r = 0; r < batch; ++r) {
            std::fill_n(state, state_floats, 0.0f);
            const float* xs = x + r * In * T;
            float* ys = y + r * Hidden * T;
            std::size_t recorded_from = 0;  // the first step in hs
            for (std::size_t t0 = 0; t0 < T; t0 += ahead) {
                const std::size_t n = std::min(ahead, T - t0);
                for (std::size_t i = 0; i < n; ++i) {
                    for (std::size_t c = 0; c < In; ++c) xt[c] = xs[c * T + t0 + i];
                    kernels::recurrent_input<In, gates, Hidden, Arch>(w_ih, b_ih, xt, gi + i * rows);
                }
                for (std::size_t i = 0; i < n; ++i) {
                    float* record = hs + (t0 + i - recorded_from) * Hidden;
                    if constexpr (Lstm)
                        kernels::lstm_update<Hidden, Arch, packed>(gi + i * rows, w_hh, b_hh, state, state + Hidden, gh,
                                                                   record);
                    else kernels::gru_update<Hidden, Arch, packed>(gi + i * rows, w_hh, b_hh, state, gh, record);
                }
                const std::size_t recorded = t0 + n - recorded_from;
                if (recorded == record_steps || t0 + n == T) {  // steps x Hidden -> y's columns
                    kernels::transpose<Arch>(hs, recorded, Hidden, Hidden, ys + recorded_from, T);
                    recorded_from = t0 + n;
                }
            }
        }
    }

    // Streaming: the state is h (and c), one step in, the new h out. PackedHidden: the block is
    // a StreamModel's, its W_hh packed by pack_for_stream.
    static constexpr std::size_t stream_state_size(Shape) noexcept { return state_floats; }
    template <Shape, class Arch, bool PackedHidden = false>
    static void stream_step(const float* p, const float* x, float* y, float* state) noexcept {
        std::array<float, kernels::recurrent_scratch<gates, Hidden>> scratch;
        const float *w_ih = p + tensors[0].offset, *w_hh = p + tensors[1].offset;
        const float *b_ih = p + tensors[2].offset, *b_hh = p + tensors[3].offset;
        if constexpr (Lstm)
            kernels::lstm_step<In, Hidden, Arch, PackedHidden>(w_ih, w_hh, b_ih, b_hh, x, state, state + Hidden,
                                                               scratch.data());
        else kernels::gru_step<In, Hidden, Arch, PackedHidden>(w_ih, w_hh, b_ih, b_hh, x, state, scratch.data());
        std::copy_n(state, Hidden, y);
    }

    /// Whether a StreamModel packs this layer's W_hh: where a long sequence's forward does
    /// (kernels::packs_hidden), so that the two agree bit for bit.
    static constexpr bool packs_for_stream = kernels::packs_hidden<gates, Hidden, kernels::default_arch>;
    /// W_hh of the layer's block `p`, packed by columns, into the same place of a copy `packed`.
    static void pack_for_stream(const float* p, float* packed) noexcept {
        if constexpr (packs_for_stream)
            kernels::pack_hidden<gates, Hidden, kernels::default_arch>(p + tensors[1].offset, packed + tensors[1].offset);
    }
};

}  // namespace detail

/// torch.nn.GRU(In, Hidden, batch_first=True), one layer: {In, T} -> {Hidden, T}.
template <std::size_t In, std::size_t Hidden>
struct GRU : detail::Recurrent<In, Hidden, false> {};

/// torch.nn.LSTM(In, Hidden, batch_first=True), one layer: {In, T} -> {Hidden, T}.
template <std::size_t In, std::size_t Hidden>
struct LSTM : detail::Recurrent<In, Hidden, true> {};

}  // namespace ctnn
