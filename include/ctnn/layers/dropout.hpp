#pragma once
// Dropout<Numerator, Denominator = 100> and Dropout2d<...>: while training, each value (Dropout)
// or each whole channel of an image (Dropout2d) is zeroed with probability p = Numerator /
// Denominator and the rest scaled by 1 / (1 - p), as nn.Dropout(p) and nn.Dropout2d(p); at
// inference both are the identity. Dropout<50> drops half, Dropout<1, 3> a third.
//
// The masks are not stored: a value's draw is a hash of the Workspace's TrainingStep (seed and
// step count), the layer's place in the model and the value's place (batch row, index), so
// backward recomputes it, a run is
// reproducible, and a batch gives the same masks however it is split between threads. They are
// not PyTorch's random numbers (no two libraries' masks agree).
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"

namespace ctnn {

namespace detail {

/// A 32-bit integer hash with low bias (Chris Wellons' "lowbias32").
constexpr std::uint32_t hash32(std::uint32_t x) noexcept {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}
/// SplitMix64's finaliser: the per-row key from seed, step and row.
constexpr std::uint64_t hash64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/// The key of batch row r's draws: seed, step, the layer's place and the row, mixed.
constexpr std::uint64_t row_key(const TrainingStep& step, std::size_t r) noexcept {
    return hash64(step.seed ^ hash64(step.step ^ hash64(step.layer ^ hash64(step.first_row + r))));
}

template <std::size_t Numerator, std::size_t Denominator, bool Channels>
struct Dropout {
    static_assert(Denominator > 0 && Numerator <= Denominator,
                  "ctnn::Dropout<Numerator, Denominator>: the probability Numerator / Denominator must be in [0, 1]");
    static constexpr double p = double(Numerator) / double(Denominator);
    // A value is kept when its 32-bit draw is at or above threshold: probability 1 - p.
    static constexpr std::uint64_t threshold = std::uint64_t(p * 4294967296.0);
    static constexpr float scale = Numerator == Denominator ? 0.0f : float(1.0 / (1.0 - p));

    static constexpr std::array<TensorInfo, 0> tensors{};
    static constexpr Shape output_shape(Shape in) noexcept { return in; }
    static constexpr bool per_time_step = !Channels;  // a Stream infers: the identity
    static constexpr Shape expected_input(Shape in) noexcept {
        if constexpr (Channels) return in.rank == 3 ? in : Shape{in.rank ? in.dims[0] : 1, 1, 1};
        else return in;
    }
    // Kept from train_forward: its TrainingStep (four 64-bit words), so backward draws the same masks.
    static constexpr std::size_t train_state_size(Shape) noexcept { return 4 * sizeof(std::uint64_t) / sizeof(float); }

    static std::string cpp_name() {
        constexpr std::string_view name = Channels ? "ctnn::Dropout2d" : "ctnn::Dropout";
        if constexpr (Denominator != 100) return template_spelling(name, {Numerator, Denominator});
        else return template_spelling(name, {Numerator});
    }
    static std::string torch_module() {
        return std::string(Channels ? "nn.Dropout2d(p=" : "nn.Dropout(p=") + probability_text() + ")";
    }

    /// Inference: the identity.
    template <Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        std::copy_n(x, batch * In.size(), y);
    }
    template <Shape In, class Arch>
    static void train_forward(const float*, const float* x, std::size_t batch, float* y, float* state,
                              const TrainingStep& step) noexcept {
        const std::uint64_t words[4] = {step.seed, step.step, step.first_row, step.layer};
        std::memcpy(state, words, sizeof words);
        apply<In>(step, x, batch, y);
    }
    /// dx = dy through the same mask and scale.
    template <Shape In, class Arch>
    static void backward(const float*, const float*, const float*, const float* dy, std::size_t batch, float* dx,
                         float*, float* state) noexcept {
        if (!dx) return;
        std::uint64_t words[4];
        std::memcpy(words, state, sizeof words);
        apply<In>({words[0], words[1], std::size_t(words[2]), words[3]}, dy, batch, dx);
    }

private:
    template <Shape In>
    static void apply(const TrainingStep& step, const float* x, std::size_t batch, float* y) noexcept {
        constexpr std::size_t n = In.size(), units = Channels ? In.dims[0] : n, inner = n / units;
        for (std::size_t r = 0; r < batch; ++r) {
            const std::uint64_t key = row_key(step, r);
            const auto k1 = std::uint32_t(key), k2 = std::uint32_t(key >> 32);
            for (std::size_t u = 0; u < units; ++u) {
                const bool keep = hash32(hash32(std::uint32_t(u) ^ k1) + k2) >= threshold;
                const float s = keep ? scale : 0.0f;
                for (std::size_t i = 0; i < inner; ++i) y[r * n + u * inner + i] = x[r * n + u * inner + i] * s;
            }
        }
    }
    static std::string probability_text() {  // the shortest that reads back as p: "0.5", as Python prints it
        char text[32];
        const auto end = std::to_chars(text, text + sizeof text, p).ptr;
        std::string s(text, end);
        if (s.find_first_of(".e") == std::string::npos) s += ".0";  // "1.0", not "1"
        return s;
    }
};

}  // namespace detail

/// Zeroes each value with probability Numerator / Denominator while training (nn.Dropout).
template <std::size_t Numerator, std::size_t Denominator = 100>
struct Dropout : detail::Dropout<Numerator, Denominator, false> {};

/// Zeroes each channel of an image {C, H, W} with probability Numerator / Denominator while
/// training (nn.Dropout2d).
template <std::size_t Numerator, std::size_t Denominator = 100>
struct Dropout2d : detail::Dropout<Numerator, Denominator, true> {};

}  // namespace ctnn
