#pragma once
// The floor of batch-1 inference: the time to read a model's weights once, as two interleaved
// streams (one stream tops out lower than two on AMD EPYC), each summed into four accumulators
// so the sums' latency never bounds the reads (with one accumulator a stream, AVX2 on Zen 3
// measured 18.8 us for the MNIST network's weights, against 14.6 us with four).
#include <benchmark/benchmark.h>
#include <cstddef>
#include <xsimd/xsimd.hpp>

namespace bench {

template <class T>
void stream_floor(benchmark::State& state, const T* data, std::size_t count) {
    using V = xsimd::batch<float>;
    constexpr std::size_t U = 4, step = U * V::size;
    const auto* p = reinterpret_cast<const float*>(data);
    const std::size_t n = count * sizeof(T) / sizeof(float) / (2 * step) * (2 * step), half = n / 2;
    for (auto _ : state) {
        V a[U], b[U];
        for (std::size_t u = 0; u < U; ++u) a[u] = b[u] = V(0.0f);
        for (std::size_t i = 0; i < half; i += step)
            for (std::size_t u = 0; u < U; ++u) {
                a[u] += V::load_unaligned(p + i + u * V::size);
                b[u] += V::load_unaligned(p + half + i + u * V::size);
            }
        benchmark::DoNotOptimize(xsimd::hadd((a[0] + a[1]) + (a[2] + a[3]) + (b[0] + b[1]) + (b[2] + b[3])));
    }
    state.counters["GB/s"] = benchmark::Counter(double(n) * 4 * double(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace bench
