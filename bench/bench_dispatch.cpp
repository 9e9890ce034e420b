// A program built for generic x86-64 running the MNIST network's inference through
// DispatchedInference (its fp32, bf16 and int8 forms compiled for every instruction set by
// ctnn_add_dispatched_inference, the best picked at run time), against the same program's own
// fp32 inference: SSE2, what a portable binary runs without dispatch.
#include <benchmark/benchmark.h>
#include <ctnn/model/dispatch.hpp>
#include <memory>
#include "run_model.hpp"

namespace {

void BM_portable_fp32(benchmark::State& state) {
    state.SetLabel(ctnn::kernels::arch_name());
    bench::run_model(state, *bench::make_net());
}
BENCHMARK(BM_portable_fp32)->Arg(1)->Arg(100)->ArgName("batch");

void BM_dispatched_fp32(benchmark::State& state) {
    const auto net = bench::make_net();
    const ctnn::DispatchedInference<bench::Net> infer(*net);
    state.SetLabel(infer.arch_name());
    bench::run_model(state, infer);
}
BENCHMARK(BM_dispatched_fp32)->Arg(1)->Arg(100)->ArgName("batch");

void BM_dispatched_bf16(benchmark::State& state) {
    const auto model = std::make_unique<ctnn::Bf16Model<bench::Net>>(*bench::make_net());
    const ctnn::DispatchedInference infer(*model);
    state.SetLabel(infer.arch_name());
    bench::run_model(state, infer);
}
BENCHMARK(BM_dispatched_bf16)->Arg(1)->Arg(100)->ArgName("batch");

// Calibrated on 256 of the benchmark's inputs.
void BM_dispatched_int8(benchmark::State& state) {
    const auto model = std::make_unique<ctnn::Int8Model<bench::Net>>(*bench::make_net(), bench::inputs(256));
    const ctnn::DispatchedInference infer(*model);
    state.SetLabel(infer.arch_name());
    bench::run_model(state, infer);
}
BENCHMARK(BM_dispatched_int8)->Arg(1)->Arg(100)->ArgName("batch");

}  // namespace

BENCHMARK_MAIN();
