#pragma once
// Fixed-size products of a fully connected layer, batch-major (one sample per row):
//   forward        Y  = epilogue(X W^T + b)     X: batch x In,  W: Out x In (PyTorch layout)
//   input grad     dX = dY W                    dY: batch x Out
//   weight grad    dW += dY^T X,  db += colsum(dY)
// Feature sizes are template parameters, so every inner loop has a compile-time trip count and
// the register blocking below is chosen at compile time from the vector width; only the batch
// count is a run-time value. The scalar references these are tested against are in reference.hpp.
#include <cstddef>
#include <type_traits>
#include <utility>
#include "activation_ops.hpp"
#include "arch.hpp"
#include "elementwise.hpp"
#include "transpose.hpp"

namespace ctnn::kernels {
namespace detail {

/// The row tail of a run-time batch (n < a full block): calls f.template operator()<R>(first)
/// for R = 4, 2, 1 as n's binary digits say, so that only three block heights are compiled per
/// kernel (compile time) while every row still runs in a register-blocked kernel.
template <class F>
inline void for_tail_rows(std::size_t n, F&& f) noexcept {
    std::size_t first = 0;
    if (n & 4) f.template operator()<4>(first), first += 4;
    if (n & 2) f.template operator()<2>(first), first += 2;
    if (n & 1) f.template operator()<1>(first);
}

/// f.template operator()<R>(m) over rows [0, M) in blocks of R = MB rows, then the tail as
/// for_tail_rows splits it.
template <std::size_t MB, class F>
inline void for_row_blocks_of(std::size_t M, F&& f) noexcept {
    const std::size_t m_end = M / MB * MB;
    for (std::size_t m = 0; m < m_end; m += MB) f.template operator()<MB>(m);
    if (m_end < M) for_tail_rows(M - m_end, [&]<std::size_t R>(std::size_t first) { f.template operator()<R>(m_end + first); });
}

/// Walks a batch in register blocks: block.template operator()<R, Cols>(first) for blocks of
/// R = Rows samples, then the tail as for_tail_rows splits it; a single sample runs as
/// block<1, ColsOne>, its one row streamed against more output vectors at once.
template <std::size_t Rows, std::size_t Cols, std::size_t ColsOne, class F>
inline void for_row_blocks(std::size_t batch, F&& block) noexcept {
    if (batch == 1) {
        block.template operator()<1, ColsOne>(0);
        return;
    }
    std::size_t r = 0;
    for (; r + Rows <= batch; r += Rows) block.template operator()<Rows, Cols>(r);
    for_tail_rows(batch - r, [&]<std::size_t R>(std::size_t first) {
        if constexpr (R < Rows) block.template operator()<R, Cols>(r + first);
    });
}

/// Horizontal sums of `lanes` accumulators in one vector (out[k] = sum of acc[k]). xsimd 8.1's
/// AVX-512 haddp returns rows 2-5 and 10-13 in the order 4 5 2 3 / 12 13 10 11 (fixed in later
/// xsimd); feeding it the rows in that order undoes it. tests/test_kernels.cpp checks every ISA.
template <class Arch>
[[gnu::always_inline]] inline fvec<Arch> sums_of(const fvec<Arch>* acc) noexcept {
#if XSIMD_VERSION_MAJOR < 9
    if constexpr (lanes<Arch> == 16) {
        const fvec<Arch> rows[16] = {acc[0], acc[1], acc[4],  acc[5],  acc[2],  acc[3],  acc[6],  acc[7],
                                     acc[8], acc[9], acc[12], acc[13], acc[10], acc[11], acc[14], acc[15]};
        return xsimd::haddp(rows);
    }
#endif
    return xsimd::haddp(acc);
}

/// Horizontal sums of `Count` accumulators: a vector of sums per `lanes` of them, then one by one.
template <class Arch, std::size_t Count>
inline void reduce_all(const fvec<Arch>* acc, float* out) noexcept {
    constexpr std::size_t L = lanes<Arch>;
    constexpr std::size_t grouped = Count / L * L;
    for (std::size_t g = 0; g < grouped; g += L) sums_of<Arch>(acc + g).store_unaligned(out + g);
#pragma GCC unroll 32
    for (std::size_t k = grouped; k < Count; ++k) out[k] = xsimd::hadd(acc[k]);
}

// Register blocks, chosen from the register file: AVX-512 has 32 vector registers, SSE2 and
// AVX2 have 16. Measured on the MNIST layer sizes (bench/, AVX-512): 6x4 forward blocks ran at
// 209 GFLOP/s against 174 for 4x4, 8x3 axpy blocks at 235 against 186 for 4x4.
template <class Arch>
struct blocking {
    static constexpr bool wide = vector_registers<Arch> >= 32;
    static constexpr std::size_t forward_rows = wide ? 6 : 2, forward_outputs = 4;  // RB*OB + OB + 1 registers
    static constexpr std::size_t axpy_rows = wide ? 8 : 6, axpy_vectors = wide ? 3 : 2;  // MB*NB + NB + 1
    static_assert(forward_rows <= 8 && axpy_rows <= 8, "for_tail_rows covers tails of up to 7 rows");
    // Batches with 16 registers run the forward on transposed inputs (forward_transposed): on
    // AVX2 (AMD EPYC Zen 3) the dot-product blocks above reach 54-57% of the FMA peak on the
    // MNIST layers (2x4 accumulators, horizontal sums per output), the transposed form 83-85%.
    // AVX-512's 6x4 dot blocks run at 80-90% (Zen 5) and stay.
    // Below 64 outputs the transposition costs more than the horizontal sums it saves (AVX2,
    // 256 inputs: 10 outputs 36 against 52 GFLOP/s, 32 outputs 52 against 66, 64 outputs 72
    // against 65).
    static constexpr bool transposed_forward = !wide;
    static constexpr std::size_t transposed_min_outputs = 64;
    static constexpr bool fused_multiply_add = std::is_base_of_v<xsimd::fma3<xsimd::sse4_2>, Arch> ||
                                               std::is_base_of_v<xsimd::fma3<xsimd::avx>, Arch> ||
                                               std::is_base_of_v<xsimd::fma3<xsimd::avx2>, Arch> || wide;
    // Samples (vectors) x weight rows of its blocks: 3 x 4 with FMA (12 + 3 + 1 registers, 91% on
    // the 784x256 layer against 82% for 2 x 6); without FMA a multiply and an add need one more
    // register, so 2 x 6 (12 + 2 + 1).
    static constexpr std::size_t transposed_vectors = fused_multiply_add ? 3 : 2;
    static constexpr std::size_t transposed_rows = fused_multiply_add ? 4 : 6;
    // ... and for a remainder of 2 or 1 sample vectors: 6 x 2 and 12 x 1 (+ 2 registers).
    static constexpr std::size_t transposed_rows_2 = 6, transposed_rows_1 = 12;
    // Rows one sample's product streams at once (rows_dot), at most a vector's lanes.
    static constexpr std::size_t gemv_rows = wide ? 1 : 8;
    // The weight gradient on dY transposed (weight_grad_transposed), for layers this wide.
    static constexpr bool transposed_weight_grad = !wide;
    static constexpr std::size_t transposed_weight_grad_min_inputs = 512;
    // axpy products pack B into panels (axpy_packed) from this many rows of C and this depth on:
    // B's rows, a power-of-two-ish stride apart, share a few L1 sets and evict each other; a
    // panel is contiguous. AMD EPYC Zen 3 (AVX2), GFLOP/s unpacked -> packed: 64 x 288 x 576 (a
    // convolution's forward) 78 -> 88, 256 x 100 x 256 (a weight gradient) 77 -> 88, 100 x 256 x
    // 256 (an input gradient) 86 -> 93; 16 or 32 rows lose (91 -> 76: too few row blocks to pay
    // for the copy), as does a depth of 10 (73 -> 71).
    static constexpr bool packed_products = !wide;
    static constexpr std::size_t packed_min_rows = 48, packed_min_depth = 32, packed_depth = 256;
};

// Forward, dot-product form: RB rows of X against OB rows of W, RB*OB accumulators along In,
// reduced horizontally once at the end. Each weight vector loaded serves RB rows.
// Register-blocked bodies are kept out of line: one copy serves every epilogue and caller, which
// halves the MNIST example's compile time at no measurable cost (each call does >= In*RB*OB FMAs).
template <std::size_t In, std::size_t RB, std::size_t OB, class Arch>
[[gnu::noinline]] void dot_block(const float* x, const float* w, float (&out)[RB * OB]) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    constexpr std::size_t vec_end = In / L * L;
    V acc[RB * OB];
#pragma GCC unroll 32
    for (std::size_t k = 0; k < RB * OB; ++k) acc[k] = V(0.0f);
    for (std::size_t i = 0; i < vec_end; i += L) {
        V wv[OB];
#pragma GCC unroll 16
        for (std::size_t o = 0; o < OB; ++o) wv[o] = in_register(V::load_unaligned(w + o * In + i));
#pragma GCC unroll 16
        for (std::size_t r = 0; r < RB; ++r) {
            const V xv = in_register(V::load_unaligned(x + r * In + i));
#pragma GCC unroll 16
            for (std::size_t o = 0; o < OB; ++o) acc[r * OB + o] = xsimd::fma(xv, wv[o], acc[r * OB + o]);
        }
    }
    reduce_all<Arch, RB * OB>(acc, out);
    if constexpr (vec_end < In) {
        for (std::size_t r = 0; r < RB; ++r)
            for (std::size_t o = 0; o < OB; ++o)
                for (std::size_t i = vec_end; i < In; ++i) out[r * OB + o] += x[r * In + i] * w[o * In + i];
    }
}

template <std::size_t In, std::size_t Out, std::size_t RB, std::size_t OB, class Epilogue, class Arch>
inline void forward_rows(const float* x, const float* w, const float* bias, float* y) noexcept {
    constexpr std::size_t o_end = Out / OB * OB;
    float out[RB * OB];
    for (std::size_t o = 0; o < o_end; o += OB) {
        dot_block<In, RB, OB, Arch>(x, w + o * In, out);
        for (std::size_t r = 0; r < RB; ++r)
            for (std::size_t k = 0; k < OB; ++k) y[r * Out + o + k] = out[r * OB + k] + bias[o + k];
    }
    if constexpr (o_end < Out) {
        float tail[RB];
        for (std::size_t o = o_end; o < Out; ++o) {
            dot_block<In, RB, 1, Arch>(x, w + o * In, tail);
            for (std::size_t r = 0; r < RB; ++r) y[r * Out + o] = tail[r] + bias[o];
        }
    }
    // The epilogue on SIMD vectors over the RB rows just written (contiguous, still in L1): one
    // vector exp per lane group for a sigmoid, not one std::exp per output.
    if constexpr (!std::is_same_v<Epilogue, identity_op>) activation_forward<Epilogue, Arch>(y, RB * Out, y);
}

// One sample: weight rows one after another, each with Unroll independent accumulators (to
// cover the FMA latency). A single sequential stream is what the hardware prefetchers serve best:
// measured 3.4 us for 784x256 against a 3.3 us read-only floor, where interleaving 8 or 16 rows
// took 6.6 us. Returns the row's partial sums (one vector) and adds the scalar tail to `tail`.
template <std::size_t In, class Arch>
inline fvec<Arch> row_dot(const float* x, const float* row, float& tail) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>, Unroll = 4;
    constexpr std::size_t wide_end = In / (Unroll * L) * (Unroll * L), vec_end = In / L * L;
    V acc[Unroll];
#pragma GCC unroll 8
    for (std::size_t u = 0; u < Unroll; ++u) acc[u] = V(0.0f);
    for (std::size_t i = 0; i < wide_end; i += Unroll * L)
#pragma GCC unroll 8
        for (std::size_t u = 0; u < Unroll; ++u)
            acc[u] = xsimd::fma(V::load_unaligned(x + i + u * L), V::load_unaligned(row + i + u * L), acc[u]);
    for (std::size_t i = wide_end; i < vec_end; i += L)
        acc[0] = xsimd::fma(V::load_unaligned(x + i), V::load_unaligned(row + i), acc[0]);
    for (std::size_t i = vec_end; i < In; ++i) tail += x[i] * row[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// R rows at once, every input vector loaded once for the R rows: with 16 registers (AVX2) one
// row at a time is bound by its two loads per FMA. AMD EPYC Zen 3, the MNIST network's two large
// layers, four interleaved runs (us): one row with 4 accumulators 16.7-18.8; 4 rows x 2
// accumulators 16.3-17.8; 8 rows x 1 16.0-16.4; reading their weights once 14.1-16.6. (AVX-512
// keeps one row at a time: on Zen 5 and Xeon interleaved rows were slower, above.)
template <std::size_t In, std::size_t R, class Arch>
inline void rows_dot(const float* x, const float* w, fvec<Arch>* out, float* tails) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>, vec_end = In / L * L;
    V acc[R];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) acc[r] = V(0.0f);
    for (std::size_t i = 0; i < vec_end; i += L) {
        const V xv = V::load_unaligned(x + i);
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) acc[r] = xsimd::fma(xv, V::load_unaligned(w + r * In + i), acc[r]);
    }
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
        out[r] = acc[r];
        for (std::size_t i = vec_end; i < In; ++i) tails[r] += x[i] * w[r * In + i];
    }
}

// Outputs in groups of one vector: the group's row sums are reduced into one vector, and the
// bias and the epilogue are applied to it in registers before the one store.
template <std::size_t In, std::size_t Out, class Epilogue, class Arch>
[[gnu::always_inline]] inline void gemv(const float* x, const float* w, const float* bias, float* y) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    constexpr std::size_t o_end = Out / L * L;
    if constexpr (In % L == 0 && In / L <= 8 && o_end > 0) {
        // Short rows (a recurrent cell's hidden state, up to 8 vectors): x stays in registers and
        // each row is one chain of FMAs, the rows of a group independent of each other (measured
        // on a GRU with 64 units, 192 x 64: 617 -> 446 ns per step).
        constexpr std::size_t NV = In / L;
        V xv[NV];
#pragma GCC unroll 8
        for (std::size_t i = 0; i < NV; ++i) xv[i] = V::load_unaligned(x + i * L);
        for (std::size_t o = 0; o < o_end; o += L) {
            V rows[L];
#pragma GCC unroll 16
            for (std::size_t k = 0; k < L; ++k) {
                const float* row = w + (o + k) * In;
                V acc = xv[0] * V::load_unaligned(row);
#pragma GCC unroll 8
                for (std::size_t i = 1; i < NV; ++i) acc = xsimd::fma(xv[i], V::load_unaligned(row + i * L), acc);
                rows[k] = acc;
            }
            const V sums = sums_of<Arch>(rows) + V::load_unaligned(bias + o);
            Epilogue::apply(sums).store_unaligned(y + o);
        }
        for (std::size_t o = o_end; o < Out; ++o) {
            float tail = 0;
            const float s = xsimd::hadd(row_dot<In, Arch>(x, w + o * In, tail)) + tail;
            y[o] = Epilogue::apply(s + bias[o]);
        }
        return;
    }
    for (std::size_t o = 0; o < o_end; o += L) {
        alignas(alignof(V)) float tails[L] = {};
        V rows[L];
        constexpr std::size_t R = blocking<Arch>::gemv_rows < L ? blocking<Arch>::gemv_rows : L;  // SSE2: 4
        static_assert(L % R == 0);
        if constexpr (R > 1)
            for (std::size_t k = 0; k < L; k += R) rows_dot<In, R, Arch>(x, w + (o + k) * In, rows + k, tails + k);
        else
            for (std::size_t k = 0; k < L; ++k) rows[k] = row_dot<In, Arch>(x, w + (o + k) * In, tails[k]);
        const V sums = sums_of<Arch>(rows) + V::load_aligned(tails) + V::load_unaligned(bias + o);
        Epilogue::apply(sums).store_unaligned(y + o);
    }
    for (std::size_t o = o_end; o < Out; ++o) {
        float tail = 0;
        const float s = xsimd::hadd(row_dot<In, Arch>(x, w + o * In, tail)) + tail;
        y[o] = Epilogue::apply(s + bias[o]);
    }
}

// C (M x N, row-major) (+)= sum_k A(m, k) * B[k, :], with A(m, k) = a[m * a_m + k * a_k] and B
// K x N row-major. The input gradient (A = dY, B = W) and the weight gradient (A = dY^T, B = X)
// are both this product; neither needs a transposed copy of anything. MB x NB accumulators; each
// B vector loaded serves MB rows, each broadcast of A serves NB vectors.
// B's rows are BStride floats apart (N unless B is a packed panel), C's N.
template <std::size_t N, std::size_t MB, std::size_t NB, bool Accumulate, class Arch, std::size_t BStride = N>
[[gnu::noinline]] void axpy_block(std::size_t K, const float* a, std::size_t a_m, std::size_t a_k, const float* b,
                       float* c) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    V acc[MB][NB];
#pragma GCC unroll 16
    for (std::size_t m = 0; m < MB; ++m)
#pragma GCC unroll 16
        for (std::size_t n = 0; n < NB; ++n)
            acc[m][n] = Accumulate ? V::load_unaligned(c + m * N + n * L) : V(0.0f);
    for (std::size_t k = 0; k < K; ++k) {
        V bv[NB];
#pragma GCC unroll 16
        for (std::size_t n = 0; n < NB; ++n) bv[n] = in_register(V::load_unaligned(b + k * BStride + n * L));
#pragma GCC unroll 16
        for (std::size_t m = 0; m < MB; ++m) {
            const V av(a[m * a_m + k * a_k]);
#pragma GCC unroll 16
            for (std::size_t n = 0; n < NB; ++n) acc[m][n] = xsimd::fma(av, bv[n], acc[m][n]);
        }
    }
#pragma GCC unroll 16
    for (std::size_t m = 0; m < MB; ++m)
#pragma GCC unroll 16
        for (std::size_t n = 0; n < NB; ++n) acc[m][n].store_unaligned(c + m * N + n * L);
}

// g++ 12 warns (-Warray-bounds) when a caller's buffer is smaller than a full block of rows
// whose loop never runs for that batch (a batch of 3 with 2 outputs): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
/// The columns of C past the last whole vector, one dot product each.
template <std::size_t N, bool Accumulate, class Arch>
inline void axpy_scalar_columns(std::size_t M, std::size_t K, const float* a, std::size_t a_m, std::size_t a_k,
                                const float* b, float* c) noexcept {
    constexpr std::size_t vec_end = N / lanes<Arch> * lanes<Arch>;
    if constexpr (vec_end < N)
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t n = vec_end; n < N; ++n) {
                float s = Accumulate ? c[m * N + n] : 0.0f;
                for (std::size_t k = 0; k < K; ++k) s += a[m * a_m + k * a_k] * b[k * N + n];
                c[m * N + n] = s;
            }
}

template <std::size_t N, std::size_t MB, std::size_t NB, bool Accumulate, class Arch>
inline void axpy_rows(std::size_t K, const float* a, std::size_t a_m, std::size_t a_k, const float* b,
                      float* c) noexcept {
    constexpr std::size_t L = lanes<Arch>;
    constexpr std::size_t wide_end = N / (NB * L) * (NB * L);
    constexpr std::size_t vec_end = N / L * L;
    for (std::size_t n = 0; n < wide_end; n += NB * L)
        axpy_block<N, MB, NB, Accumulate, Arch>(K, a, a_m, a_k, b + n, c + n);
    for (std::size_t n = wide_end; n < vec_end; n += L)
        axpy_block<N, MB, 1, Accumulate, Arch>(K, a, a_m, a_k, b + n, c + n);
    axpy_scalar_columns<N, Accumulate, Arch>(MB, K, a, a_m, a_k, b, c);
}

/// axpy_rows over the vector columns [n0, n1) only (multiples of the vector width).
template <std::size_t N, std::size_t MB, std::size_t NB, bool Accumulate, class Arch>
inline void axpy_columns(std::size_t K, const float* a, std::size_t a_m, std::size_t a_k, const float* b, float* c,
                         std::size_t n0, std::size_t n1) noexcept {
    constexpr std::size_t L = lanes<Arch>;
    std::size_t n = n0;
    for (; n + NB * L <= n1; n += NB * L) axpy_block<N, MB, NB, Accumulate, Arch>(K, a, a_m, a_k, b + n, c + n);
    for (; n < n1; n += L) axpy_block<N, MB, 1, Accumulate, Arch>(K, a, a_m, a_k, b + n, c + n);
}

/// axpy_columns for all M rows of C, in blocks of MB rows.
template <std::size_t N, std::size_t MB, std::size_t NB, bool Accumulate, class Arch>
inline void axpy_column_range(std::size_t M, std::size_t K, const float* a, std::size_t a_m, std::size_t a_k,
                              const float* b, float* c, std::size_t n0, std::size_t n1) noexcept {
    for_row_blocks_of<MB>(M, [&]<std::size_t R>(std::size_t m) {
        axpy_columns<N, R, NB, Accumulate, Arch>(K, a + m * a_m, a_m, a_k, b, c + m * N, n0, n1);
    });
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Forward, broadcast form, for one chunk of n <= S = NV * lanes rows of X: Y^T = W X^T, each
// block of MB weight rows broadcast against the NV vectors of transposed samples (the form of
// axpy_block: no horizontal sums, each weight read once per chunk). The inputs are transposed in
// blocks of `depth` features into a buffer on the stack (24 KiB with AVX2 and NV = 3) that stays
// in L1 while every block of weight rows passes over it. The sums stay transposed as well, for a
// group of up to 128 outputs (yt, 12 KiB), accumulated in vectors from the bias on and
// transposed into y once: added into y one float at a time after each block of features, they
// took 60% of this function's time besides the products (Zen 3). Lanes past n are computed on
// zeros and not written.
template <std::size_t In, std::size_t Out, std::size_t NV, std::size_t MB, class Epilogue, class Arch>
void forward_transposed(const float* x, std::size_t n, const float* w, const float* bias, float* y) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>, S = NV * L, depth = 256, group = 128;
    constexpr std::size_t D = In < depth ? In : depth, G = Out < group ? Out : group;
    alignas(64) float xt[D * S];
    alignas(64) float yt[G * S];
    if (n < S)
        for (std::size_t i = 0; i < D * S; ++i) xt[i] = 0.0f;
    for (std::size_t g0 = 0; g0 < Out; g0 += G) {
        const std::size_t gn = Out - g0 < G ? Out - g0 : G, m_end = gn / MB * MB;
        for (std::size_t o = 0; o < gn; ++o)
#pragma GCC unroll 4
            for (std::size_t v = 0; v < NV; ++v) V(bias[g0 + o]).store_aligned(yt + o * S + v * L);
        for (std::size_t k0 = 0; k0 < In; k0 += depth) {
            const std::size_t kc = In - k0 < depth ? In - k0 : depth;
            transpose<Arch>(x + k0, n, kc, In, xt, S);
            const auto rows = [&]<std::size_t R>(std::size_t m) {
                axpy_block<S, R, NV, true, Arch>(kc, w + (g0 + m) * In + k0, In, 1, xt, yt + m * S);
            };
            std::size_t m = 0;
            for (; m < m_end; m += MB) rows.template operator()<MB>(m);
            for (; m + 4 <= gn; m += 4) rows.template operator()<4>(m);
            if (m < gn) for_tail_rows(gn - m, [&]<std::size_t R>(std::size_t first) { rows.template operator()<R>(m + first); });
        }
        transpose<Arch>(yt, gn, n, S, y + g0, Out);
    }
    if constexpr (!std::is_same_v<Epilogue, identity_op>) activation_forward<Epilogue, Arch>(y, n * Out, y);
}

// axpy_product with B copied one panel (the NB vectors of a column block, at most packed_depth
// rows of it) at a time into a contiguous buffer on the stack (16 KiB with AVX2), which every
// row block of C then reads from L1. The columns past the last whole panel run unpacked.
template <std::size_t N, bool Accumulate, class Arch>
void axpy_packed(std::size_t M, std::size_t K, const float* a, std::size_t a_m, std::size_t a_k, const float* b,
                 float* c) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t MB = blocking<Arch>::axpy_rows, NB = blocking<Arch>::axpy_vectors, L = lanes<Arch>;
    constexpr std::size_t W = NB * L, depth = blocking<Arch>::packed_depth, panels_end = N / W * W;
    alignas(64) float panel[depth * W];
    for (std::size_t n = 0; n < panels_end; n += W)
        for (std::size_t k0 = 0; k0 < K; k0 += depth) {
            const std::size_t kc = K - k0 < depth ? K - k0 : depth;
            for (std::size_t k = 0; k < kc; ++k)
#pragma GCC unroll 4
                for (std::size_t v = 0; v < NB; ++v)
                    V::load_unaligned(b + (k0 + k) * N + n + v * L).store_aligned(panel + k * W + v * L);
            for_row_blocks_of<MB>(M, [&]<std::size_t R>(std::size_t m) {
                const float* am = a + m * a_m + k0 * a_k;
                if (Accumulate || k0 > 0) axpy_block<N, R, NB, true, Arch, W>(kc, am, a_m, a_k, panel, c + m * N + n);
                else axpy_block<N, R, NB, false, Arch, W>(kc, am, a_m, a_k, panel, c + m * N + n);
            });
        }
    constexpr std::size_t vec_end = N / L * L;
    if constexpr (panels_end < vec_end)
        axpy_column_range<N, MB, NB, Accumulate, Arch>(M, K, a, a_m, a_k, b, c, panels_end, vec_end);
    axpy_scalar_columns<N, Accumulate, Arch>(M, K, a, a_m, a_k, b, c);
}

template <std::size_t N, bool Accumulate, class Arch>
inline void axpy_product(std::size_t M, std::size_t K, const float* a, std::size_t a_m, std::size_t a_k,
                         const float* b, float* c) noexcept {
    if constexpr (blocking<Arch>::packed_products && N >= blocking<Arch>::axpy_vectors * lanes<Arch>) {
        if (M >= blocking<Arch>::packed_min_rows && K >= blocking<Arch>::packed_min_depth) {
            axpy_packed<N, Accumulate, Arch>(M, K, a, a_m, a_k, b, c);
            return;
        }
    }
    // Rows of 4 or 8 vectors take 6x4 blocks rather than 8x3 plus a pass of single vectors:
    // measured (AVX-512) 121 -> 144 GFLOP/s at 4 vectors (a convolution's dW^T with 64 output
    // channels), 98 -> 115 at 8; at 16 and 36 vectors 8x3 stays as fast or faster.
    constexpr std::size_t V = N / lanes<Arch>;
    constexpr bool fours = blocking<Arch>::wide && N % lanes<Arch> == 0 && (V == 4 || V == 8);
    constexpr std::size_t MB = fours ? 6 : blocking<Arch>::axpy_rows, NB = fours ? 4 : blocking<Arch>::axpy_vectors;
    constexpr std::size_t L = lanes<Arch>, vec_end = N / L * L, chunk = 8 * NB * L;
    if (K * N > (std::size_t{1} << 18) && vec_end > chunk) {
        // B larger than 1 MB (a 9216-wide layer's inputs): column chunks outermost, so each
        // chunk of B (8 blocks wide) is read from memory once and reused from L2 by every row
        // block, instead of all of B streamed again for each row block.
        for (std::size_t n0 = 0; n0 < vec_end; n0 += chunk)
            axpy_column_range<N, MB, NB, Accumulate, Arch>(M, K, a, a_m, a_k, b, c, n0,
                                                           n0 + chunk < vec_end ? n0 + chunk : vec_end);
        axpy_scalar_columns<N, Accumulate, Arch>(M, K, a, a_m, a_k, b, c);
        return;
    }
    for_row_blocks_of<MB>(M, [&]<std::size_t R>(std::size_t m) {
        axpy_rows<N, R, NB, Accumulate, Arch>(K, a + m * a_m, a_m, a_k, b, c + m * N);
    });
}

// dW += dY^T X on dY transposed in blocks of 48 outputs x 128 samples (24 KiB on the stack), so
// that each block of weight-gradient rows broadcasts from contiguous rows rather than from
// columns of dY a row of Out floats apart. AVX2 (AMD EPYC Zen 3), batch 100, alternating runs:
// 784x256 67-73 -> 79-81 GFLOP/s; 256x256 no gain (70-76 against 76-78), so from 512 inputs on.
template <std::size_t In, std::size_t Out, class Arch>
void weight_grad_transposed(const float* x, const float* dy, std::size_t batch, float* dw) noexcept {
    constexpr std::size_t group = 8 * blocking<Arch>::axpy_rows, samples = 128;
    constexpr std::size_t G = Out < group ? Out : group;
    alignas(64) float dyt[G * samples];
    for (std::size_t k0 = 0; k0 < batch; k0 += samples) {
        const std::size_t kc = batch - k0 < samples ? batch - k0 : samples;
        for (std::size_t m0 = 0; m0 < Out; m0 += G) {
            const std::size_t g = Out - m0 < G ? Out - m0 : G;
            for (std::size_t k = 0; k < kc; ++k)
                for (std::size_t m = 0; m < g; ++m) dyt[m * kc + k] = dy[(k0 + k) * Out + m0 + m];
            axpy_product<In, true, Arch>(g, kc, dyt, kc, 1, x + k0 * In, dw + m0 * In);
        }
    }
}

/// axpy_product for a compile-time row count: up to a full block's rows run as one block (one
/// pass over B; a convolution's 6 output channels would otherwise take a 4-row and a 2-row pass),
/// with as many vectors per row as the registers hold.
template <std::size_t M, std::size_t N, bool Accumulate, class Arch>
inline void axpy_product_fixed(std::size_t K, const float* a, std::size_t a_m, std::size_t a_k, const float* b,
                               float* c) noexcept {
    if constexpr (M <= blocking<Arch>::axpy_rows) {
        constexpr std::size_t fit = (vector_registers<Arch> - 1) / (M + 1);
        constexpr std::size_t NB = fit > 4 ? 4 : fit;
        axpy_rows<N, M, NB, Accumulate, Arch>(K, a, a_m, a_k, b, c);
    } else {
        axpy_product<N, Accumulate, Arch>(M, K, a, a_m, a_k, b, c);
    }
}

}  // namespace detail

/// Y = epilogue(X W^T + b) for `batch` rows.
template <std::size_t In, std::size_t Out, class Epilogue = identity_op, class Arch = default_arch>
inline void linear_forward(const float* x, std::size_t batch, const float* w, const float* bias, float* y) noexcept {
    using B = detail::blocking<Arch>;
    constexpr std::size_t RB = B::forward_rows, OB = B::forward_outputs;
    if (batch == 1) {
        detail::gemv<In, Out, Epilogue, Arch>(x, w, bias, y);
        return;
    }
    if constexpr (B::transposed_forward && Out >= B::transposed_min_outputs) {
        constexpr std::size_t L = lanes<Arch>, S = B::transposed_vectors * L;
        const auto chunk = [&]<std::size_t NV, std::size_t MB>(std::size_t r, std::size_t n) {
            detail::forward_transposed<In, Out, NV, MB, Epilogue, Arch>(x + r * In, n, w, bias, y + r * Out);
        };
        std::size_t r0 = 0;
        for (; r0 + S <= batch; r0 += S) chunk.template operator()<B::transposed_vectors, B::transposed_rows>(r0, S);
        // A remainder of at least a vector of samples: one chunk of fewer vectors, its last one
        // maybe partly empty. Zen 3, against the dot form, 784x256: batch 8 63-70 against 55
        // GFLOP/s, 16 84 against 54, 20 66 against 54-61; 256x256: 8 level, 16 85-89 against
        // 64-66. Fewer than a vector's samples (batch 100 = 4 x 24 + 4) stay in the dot form:
        // 4 rows of 784x256 59-63 GFLOP/s there, 24-32 as a padded chunk of 8.
        const std::size_t rest = batch - r0;
        if (rest >= L) {
            if (rest > 2 * L) chunk.template operator()<B::transposed_vectors, B::transposed_rows>(r0, rest);
            else if (rest > L) chunk.template operator()<2, B::transposed_rows_2>(r0, rest);
            else chunk.template operator()<1, B::transposed_rows_1>(r0, rest);
            return;
        }
        x += r0 * In, y += r0 * Out, batch -= r0;
    }
    const std::size_t b_end = batch / RB * RB;
    for (std::size_t r = 0; r < b_end; r += RB)
        detail::forward_rows<In, Out, RB, OB, Epilogue, Arch>(x + r * In, w, bias, y + r * Out);
    if (b_end < batch)
        detail::for_tail_rows(batch - b_end, [&]<std::size_t R>(std::size_t first) {
            const std::size_t r = b_end + first;
            detail::forward_rows<In, Out, R, OB, Epilogue, Arch>(x + r * In, w, bias, y + r * Out);
        });
}

/// dX = dY W (overwrites dX).
template <std::size_t In, std::size_t Out, class Arch = default_arch>
inline void linear_input_grad(const float* dy, std::size_t batch, const float* w, float* dx) noexcept {
    detail::axpy_product<In, false, Arch>(batch, Out, dy, Out, 1, w, dx);
}

/// dW += dY^T X and db += column sums of dY (accumulates, as PyTorch's .grad does); no db for a
/// layer without bias (db null).
template <std::size_t In, std::size_t Out, class Arch = default_arch>
inline void linear_param_grad(const float* x, const float* dy, std::size_t batch, float* dw, float* db) noexcept {
    using B = detail::blocking<Arch>;
    if constexpr (B::transposed_weight_grad && In >= B::transposed_weight_grad_min_inputs)
        detail::weight_grad_transposed<In, Out, Arch>(x, dy, batch, dw);
    else
        detail::axpy_product<In, true, Arch>(Out, batch, dy, 1, Out, x, dw);
    if (!db) return;
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    constexpr std::size_t vec_end = Out / L * L;
    for (std::size_t r = 0; r < batch; ++r) {
        const float* row = dy + r * Out;
        for (std::size_t o = 0; o < vec_end; o += L)
            (V::load_unaligned(db + o) + V::load_unaligned(row + o)).store_unaligned(db + o);
        for (std::size_t o = vec_end; o < Out; ++o) db[o] += row[o];
    }
}

}  // namespace ctnn::kernels
