#pragma once
// A seeded generator whose streams are the same on every platform and standard library
// (std::normal_distribution and std::shuffle are not), so a seed reproduces a run exactly.
// xoshiro256** seeded through splitmix64.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

namespace ctnn {

namespace detail {
__extension__ typedef unsigned __int128 uint128;  // g++ and clang; __extension__ keeps -Wpedantic quiet
}  // namespace detail

class Rng {
public:
    /// Everything that decides the rest of the stream: save it with state(), and an Rng given it
    /// by restore() continues exactly where the saved one stood (to resume a run).
    struct State {
        std::array<std::uint64_t, 4> words{};
        double spare = 0;  // the second Box-Muller value, if has_spare
        bool has_spare = false;
        friend bool operator==(const State&, const State&) = default;
    };

    explicit Rng(std::uint64_t seed = 0) noexcept {
        for (auto& word : s_) {
            seed += 0x9e3779b97f4a7c15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            word = z ^ (z >> 31);
        }
    }

    State state() const noexcept { return {{s_[0], s_[1], s_[2], s_[3]}, spare_, has_spare_}; }
    void restore(const State& state) noexcept {
        for (std::size_t i = 0; i < 4; ++i) s_[i] = state.words[i];
        spare_ = state.spare;
        has_spare_ = state.has_spare;
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform01() noexcept { return double(next() >> 11) * 0x1.0p-53; }
    /// Uniform in [lo, hi).
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }
    /// Normal with the given mean and standard deviation (Box-Muller, both values used).
    double normal(double mean = 0.0, double stddev = 1.0) noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return mean + stddev * spare_;
        }
        const double u1 = 1.0 - uniform01();  // (0, 1]: log is finite
        const double u2 = uniform01();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
        has_spare_ = true;
        return mean + stddev * r * std::cos(2.0 * std::numbers::pi * u2);
    }
    /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject).
    std::uint64_t below(std::uint64_t n) noexcept {
        detail::uint128 m = detail::uint128(next()) * n;
        auto low = std::uint64_t(m);
        if (low < n) {
            const std::uint64_t threshold = (0 - n) % n;
            while (low < threshold) {
                m = detail::uint128(next()) * n;
                low = std::uint64_t(m);
            }
        }
        return std::uint64_t(m >> 64);
    }
    /// Fisher-Yates shuffle of a random-access range, the same permutation on every platform.
    template <class Range>
    void shuffle(Range& r) noexcept {
        using std::swap;
        for (std::size_t i = std::size(r); i > 1; --i) swap(r[i - 1], r[below(i)]);
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
    double spare_ = 0;
    bool has_spare_ = false;
};

}  // namespace ctnn
