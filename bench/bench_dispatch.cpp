// A program built for generic x86-64 running the MNIST network's inference through
// DispatchedInference (its fp32, bf16 and int8 forms compiled for every instruction set by
// ctnn_add_dispatched_inference, the best picked at run time), against the same program's own
// fp32 inference: SSE2, what a portable binary runs without dispatch.
#include <benchmark/benchmark.h>
#include <ctnn/model/dispatch.hpp>
#include <memory>
#include <span>
#include <vector>
#include "mnist_net.hpp"

namespace {

std::vector<float> inputs(std::size_t n) {
    std::vector<float> x(n * 784);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 255) / 255.0f;
    return x;
}

template <class Model>
void run(benchmark::State& state, const Model& model) {
    const auto batch = std::size_t(state.range(0));
    const auto x = inputs(batch);
    std::vector<float> y(batch * 10);
    ctnn::InferenceScratch<bench::Net> scratch(batch);
    for (auto _ : state) {
        if (batch == 1) model.forward(std::span<const float, 784>(x.data(), 784), std::span<float, 10>(y.data(), 10));
        else model.forward(x, y, scratch);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["samples/s"] = benchmark::Counter(double(batch * state.iterations()), benchmark::Counter::kIsRate);
}

void BM_portable_fp32(benchmark::State& state) {
    state.SetLabel(ctnn::kernels::arch_name());
    run(state, *bench::make_net());
}
BENCHMARK(BM_portable_fp32)->Arg(1)->Arg(100)->ArgName("batch");

void BM_dispatched_fp32(benchmark::State& state) {
    const auto net = bench::make_net();
    const ctnn::DispatchedInference<bench::Net> infer(*net);
    state.SetLabel(infer.arch_name());
    run(state, infer);
}
BENCHMARK(BM_dispatched_fp32)->Arg(1)->Arg(100)->ArgName("batch");

void BM_dispatched_bf16(benchmark::State& state) {
    const auto model = std::make_unique<ctnn::Bf16Model<bench::Net>>(*bench::make_net());
    const ctnn::DispatchedInference infer(*model);
    state.SetLabel(infer.arch_name());
    run(state, infer);
}
BENCHMARK(BM_dispatched_bf16)->Arg(1)->Arg(100)->ArgName("batch");

// Calibrated on 256 of the benchmark's inputs.
void BM_dispatched_int8(benchmark::State& state) {
    const auto model = std::make_unique<ctnn::Int8Model<bench::Net>>(*bench::make_net(), inputs(256));
    const ctnn::DispatchedInference infer(*model);
    state.SetLabel(infer.arch_name());
    run(state, infer);
}
BENCHMARK(BM_dispatched_int8)->Arg(1)->Arg(100)->ArgName("batch");

}  // namespace

BENCHMARK_MAIN();
