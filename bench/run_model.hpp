#pragma once
// The inference loop of the MNIST benchmarks: one model's forward over a batch of inputs,
// reported as samples/s and GFLOP/s.
#include <benchmark/benchmark.h>
#include <cstddef>
#include <span>
#include <vector>
#include "mnist_net.hpp"

namespace bench {

/// n MNIST-sized inputs in [0, 1].
inline std::vector<float> inputs(std::size_t n) {
    std::vector<float> x(n * 784);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 255) / 255.0f;
    return x;
}

inline void report(benchmark::State& state, std::size_t batch) {
    const double samples = double(batch * state.iterations());
    state.counters["samples/s"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(samples * flops_per_sample * 1e-9, benchmark::Counter::kIsRate);
}

/// model.forward for a batch of state.range(0) samples (batch 1 through the single-sample call).
template <class Model>
void run_model(benchmark::State& state, const Model& model) {
    const auto batch = std::size_t(state.range(0));
    const auto x = inputs(batch);
    std::vector<float> y(batch * 10);
    ctnn::InferenceScratch<Net> scratch(batch);
    for (auto _ : state) {
        if (batch == 1) model.forward(std::span<const float, 784>(x.data(), 784), std::span<float, 10>(y.data(), 10));
        else model.forward(x, y, scratch);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    report(state, batch);
}

}  // namespace bench
