#pragma once
// One time step of PyTorch's recurrent cells (torch.nn.GRUCell, torch.nn.LSTMCell), in place on
// the state:
//   GRU   r = s(W_ir x + b_ir + W_hr h + b_hr)        gates in the order r, z, n
//         z = s(W_iz x + b_iz + W_hz h + b_hz)
//         n = tanh(W_in x + b_in + r (W_hn h + b_hn))
//         h = (1 - z) n + z h
//   LSTM  i, f, o = s(W_i* x + b_i* + W_h* h + b_h*), g = tanh(...)   gates in the order i, f, g, o
//         c = f c + i g,  h = o tanh(c)
// The two matrix-vector products are the batch-1 Linear's (kernels/linear.hpp: a dot product per
// gate row, rows reduced into vectors, the bias added in registers); the gates are applied in
// vectors of the hidden size's width (8 units: AVX2 on an AVX-512 machine), the rest scalar.
// A step depends on the one before through h: only the input half (W_ih x + b_ih) can be computed
// ahead, for a whole sequence. The step is inlined whole where it is called (a stream, a
// sequence's loop): a call between its parts spilled the gate rows to memory (GRU-64: 655 -> 430
// ns per step in a sequence).
//
// A whole sequence may instead run the hidden product on a copy of W_hh packed by columns
// (pack_hidden): gh = b_hh + sum_j h_j W_hh[:, j], one vector FMA per weight vector and no
// horizontal sums. Its sums run in another order, so its states differ from a stream's in the
// last bits; it is used where it was measured faster (packs_hidden).
#include <cmath>
#include <cstddef>
#include <type_traits>
#include "activation_ops.hpp"
#include "arch.hpp"
#include "linear.hpp"

namespace ctnn::kernels {

namespace detail {
/// The widest of Arch and the narrower sets (AVX-512, AVX2, SSE2) whose vector fits in N
/// values; the narrowest if none does.
template <class Arch, std::size_t N, class Narrower = narrower_arch<Arch>>
struct fitting {
    using type = std::conditional_t<(N < lanes<Arch>), typename fitting<Narrower, N>::type, Arch>;
};
template <class Arch, std::size_t N>
struct fitting<Arch, N, void> {
    using type = Arch;
};
template <class Arch, std::size_t N>
using fitting_arch = typename fitting<Arch, N>::type;

/// For j < n: f(V, j) on whole vectors of A, then f(float, j) on the rest.
template <class A, std::size_t N, class F>
inline void for_units(F&& f) noexcept {
    constexpr std::size_t L = lanes<A>;
    std::size_t j = 0;
    if constexpr (N >= L)
        for (; j + L <= N; j += L) f.template operator()<fvec<A>>(j);
    if constexpr (N % L != 0)
        for (; j < N; ++j) f.template operator()<float>(j);
}

template <class V>
inline V load(const float* p) noexcept {
    if constexpr (std::is_same_v<V, float>) return *p;
    else return V::load_unaligned(p);
}
template <class V>
inline void store(float* p, const V& v) noexcept {
    if constexpr (std::is_same_v<V, float>) *p = v;
    else v.store_unaligned(p);
}

/// out = W x + b for the input product: the batch-1 Linear's dot products, or for inputs
/// narrower than a vector (an audio model's one channel), one pass down the rows, which the
/// compiler vectorises along them (a dot product of one element per row would cost a reduction
/// each: measured 742 -> 617 ns per GRU-64 step).
template <std::size_t In, std::size_t Rows, class A>
inline void input_product(const float* x, const float* __restrict w, const float* __restrict b,
                          float* __restrict out) noexcept {
    if constexpr (In == 1) {
        // One channel (an audio model's): out = b + w x in explicit vectors. The scalar loop below
        // stayed scalar where a sequence's forward inlined it (g++ drops the restrict of inlined
        // parameters): GRU-32 over a sequence of 4096, Zen 3, 187-195 -> 176-185 ns a step.
        using V = fvec<A>;
        constexpr std::size_t L = lanes<A>;
        const float x0 = x[0];
        const V xv(x0);
        constexpr std::size_t vec_end = Rows / L * L;
        for (std::size_t r = 0; r < vec_end; r += L)
            xsimd::fma(V::load_unaligned(w + r), xv, V::load_unaligned(b + r)).store_unaligned(out + r);
        if constexpr (vec_end < Rows)  // (g++ warned of the overflow of the loop it saw empty)
            for (std::size_t r = vec_end; r < Rows; ++r) out[r] = std::fma(w[r], x0, b[r]);
    } else if constexpr (In < lanes<A>) {
        float xs[In];  // a copy the stores cannot alias: the loop vectorises wherever it is inlined
        for (std::size_t c = 0; c < In; ++c) xs[c] = x[c];
        for (std::size_t r = 0; r < Rows; ++r) {
            float s = b[r];
            for (std::size_t c = 0; c < In; ++c) s += w[r * In + c] * xs[c];
            out[r] = s;
        }
    } else {
        gemv<In, Rows, identity_op, A>(x, w, b, out);
    }
}

/// Output vectors per group of the packed hidden product: the largest divisor of the row
/// vectors that is at most 12 (12 accumulators, a broadcast and a load in 16 registers).
constexpr std::size_t packed_group(std::size_t vectors) noexcept {
    std::size_t g = vectors < 12 ? vectors : 12;
    while (vectors % g != 0) --g;
    return g;
}

/// out = b + W h from W packed by pack_hidden: group by group, the group's sums in registers,
/// each h_j broadcast against the group's vectors of column j (contiguous in the packing). Few
/// vectors (a GRU of 8 units: 3) take two sums each, so the chains of FMAs are half as long.
template <std::size_t Hidden, std::size_t Rows, class A>
[[gnu::always_inline]] inline void packed_hidden_product(const float* h, const float* packed, const float* b,
                                                         float* out) noexcept {
    using V = fvec<A>;
    constexpr std::size_t L = lanes<A>, NV = Rows / L, GV = packed_group(NV), S = GV <= 4 ? 2 : 1;
    for (std::size_t g = 0; g < NV; g += GV) {
        const float* panel = packed + g * L * Hidden;  // Hidden x GV vectors
        V acc[S][GV];
#pragma GCC unroll 16
        for (std::size_t v = 0; v < GV; ++v) {
            acc[0][v] = V::load_unaligned(b + (g + v) * L);
            if constexpr (S > 1) acc[1][v] = V(0.0f);
        }
#pragma GCC unroll 8
        for (std::size_t j = 0; j < Hidden; ++j) {  // (unrolled whole: a GRU of 64 units 2.2x slower)
            const V hj(h[j]);
#pragma GCC unroll 16
            for (std::size_t v = 0; v < GV; ++v)
                acc[j % S][v] = xsimd::fma(hj, V::load_unaligned(panel + (j * GV + v) * L), acc[j % S][v]);
        }
#pragma GCC unroll 16
        for (std::size_t v = 0; v < GV; ++v) {
            if constexpr (S > 1) acc[0][v] += acc[1][v];
            acc[0][v].store_unaligned(out + (g + v) * L);
        }
    }
}
}  // namespace detail

/// Whether a whole sequence's steps run on W_hh packed by columns (pack_hidden). Measured on a
/// Zen 3 (AVX2, 16 registers), one step alone: a GRU of 16 / 24 / 32 / 48 / 64 units 12 / 15 / 11 /
/// 8 / 3% faster, an LSTM of 8 / 16 / 24 / 32 / 48 / 64 units 7 / 19 / 12 / 8 / 4 / 2%; a GRU of 8
/// units (3 vectors of rows) was 6% slower in a sequence, and with SSE2 (no FMA) 10-60% slower.
/// So: AVX2 with FMA, rows in at least 4 whole vectors, up to the 64 units measured. AVX-512 was
/// not measured: it keeps the stream's product.
template <std::size_t Gates, std::size_t Hidden>
inline constexpr bool packable_hidden = Hidden >= 8 && Hidden <= 64 && Gates * Hidden % 8 == 0 && Gates * Hidden >= 32;
template <std::size_t Gates, std::size_t Hidden, class Arch = default_arch>
inline constexpr bool packs_hidden =
    packable_hidden<Gates, Hidden> && std::is_same_v<detail::fitting_arch<Arch, Hidden>, xsimd::fma3<xsimd::avx2>>;

/// Floats of a packed W_hh: the matrix's.
template <std::size_t Gates, std::size_t Hidden>
inline constexpr std::size_t packed_hidden_size = Gates * Hidden * Hidden;

/// W_hh (Gates Hidden x Hidden, PyTorch's layout) packed for packed_hidden_product: the rows in
/// groups of packed_group vectors, each group's columns one after another (column j of a group:
/// its GV vectors of rows).
template <std::size_t Gates, std::size_t Hidden, class Arch = default_arch>
inline void pack_hidden(const float* w_hh, float* packed) noexcept {
    using A = detail::fitting_arch<Arch, Hidden>;
    constexpr std::size_t L = lanes<A>, Rows = Gates * Hidden, NV = Rows / L, GV = detail::packed_group(NV);
    for (std::size_t g = 0; g < NV; g += GV)
        for (std::size_t j = 0; j < Hidden; ++j)
            for (std::size_t k = 0; k < GV * L; ++k) packed[g * L * Hidden + j * GV * L + k] = w_hh[(g * L + k) * Hidden + j];
}

/// Floats of working memory a GRU or LSTM step needs: both gate products.
template <std::size_t Gates, std::size_t Hidden>
inline constexpr std::size_t recurrent_scratch = 2 * Gates * Hidden;

/// The input half of a step, W_ih x + b_ih for the G x Hidden gate rows: a whole sequence's
/// can be computed ahead of its steps (it does not depend on h), with the same results.
template <std::size_t In, std::size_t Gates, std::size_t Hidden, class Arch = default_arch>
inline void recurrent_input(const float* w_ih, const float* b_ih, const float* x, float* gi) noexcept {
    detail::input_product<In, Gates * Hidden, detail::fitting_arch<Arch, Hidden>>(x, w_ih, b_ih, gi);
}

/// h = GRUCell(x, h) given gi = W_ih x + b_ih (recurrent_input); scratch holds 3 Hidden floats.
/// `copy`, if given, receives the new h as well, from the registers that store it to h (a
/// sequence's record of its states: copied from h afterwards, the vectors just stored were read
/// back in pieces, a store-forwarding stall in every step).
/// Packed: w_hh is pack_hidden's copy.
template <std::size_t Hidden, class Arch = default_arch, bool Packed = false>
CTNN_FLATTEN inline void gru_update(const float* gi, const float* w_hh, const float* b_hh, float* h, float* scratch,
                                    float* copy = nullptr) noexcept {
    using A = detail::fitting_arch<Arch, Hidden>;
    float* gh = scratch;
    if constexpr (Packed) detail::packed_hidden_product<Hidden, 3 * Hidden, A>(h, w_hh, b_hh, gh);
    else detail::gemv<Hidden, 3 * Hidden, identity_op, A>(h, w_hh, b_hh, gh);
    detail::for_units<A, Hidden>([&]<class V>(std::size_t j) {
        using detail::load;
        const V r = sigmoid_op::apply(load<V>(gi + j) + load<V>(gh + j));
        const V z = sigmoid_op::apply(load<V>(gi + Hidden + j) + load<V>(gh + Hidden + j));
        const V n = tanh_op::apply(load<V>(gi + 2 * Hidden + j) + r * load<V>(gh + 2 * Hidden + j));
        const V old = load<V>(h + j);
        const V updated = n + z * (old - n);  // (1 - z) n + z h
        detail::store(h + j, updated);
        if (copy) detail::store(copy + j, updated);
    });
}

/// h = GRUCell(x, h); scratch holds recurrent_scratch<3, Hidden> floats; Packed: w_hh is
/// pack_hidden's copy.
template <std::size_t In, std::size_t Hidden, class Arch = default_arch, bool Packed = false>
inline void gru_step(const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, const float* x,
                     float* h, float* scratch) noexcept {
    recurrent_input<In, 3, Hidden, Arch>(w_ih, b_ih, x, scratch);
    gru_update<Hidden, Arch, Packed>(scratch, w_hh, b_hh, h, scratch + 3 * Hidden);
}

/// (h, c) = LSTMCell(x, (h, c)) given gi = W_ih x + b_ih; scratch holds 4 Hidden floats; `copy`,
/// if given, receives the new h as well; Packed: w_hh is pack_hidden's copy (gru_update).
template <std::size_t Hidden, class Arch = default_arch, bool Packed = false>
CTNN_FLATTEN inline void lstm_update(const float* gi, const float* w_hh, const float* b_hh, float* h, float* c,
                                     float* scratch, float* copy = nullptr) noexcept {
    using A = detail::fitting_arch<Arch, Hidden>;
    float* gh = scratch;
    if constexpr (Packed) detail::packed_hidden_product<Hidden, 4 * Hidden, A>(h, w_hh, b_hh, gh);
    else detail::gemv<Hidden, 4 * Hidden, identity_op, A>(h, w_hh, b_hh, gh);
    detail::for_units<A, Hidden>([&]<class V>(std::size_t j) {
        using detail::load;
        const V i = sigmoid_op::apply(load<V>(gi + j) + load<V>(gh + j));
        const V f = sigmoid_op::apply(load<V>(gi + Hidden + j) + load<V>(gh + Hidden + j));
        const V g = tanh_op::apply(load<V>(gi + 2 * Hidden + j) + load<V>(gh + 2 * Hidden + j));
        const V o = sigmoid_op::apply(load<V>(gi + 3 * Hidden + j) + load<V>(gh + 3 * Hidden + j));
        const V cell = f * load<V>(c + j) + i * g;
        detail::store(c + j, cell);
        const V updated = o * tanh_op::apply(cell);
        detail::store(h + j, updated);
        if (copy) detail::store(copy + j, updated);
    });
}

/// (h, c) = LSTMCell(x, (h, c)); scratch holds recurrent_scratch<4, Hidden> floats; Packed: w_hh
/// is pack_hidden's copy.
template <std::size_t In, std::size_t Hidden, class Arch = default_arch, bool Packed = false>
inline void lstm_step(const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, const float* x,
                      float* h, float* c, float* scratch) noexcept {
    recurrent_input<In, 4, Hidden, Arch>(w_ih, b_ih, x, scratch);
    lstm_update<Hidden, Arch, Packed>(scratch, w_hh, b_hh, h, c, scratch + 4 * Hidden);
}

}  // namespace ctnn::kernels
