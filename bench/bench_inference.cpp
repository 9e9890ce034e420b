// Inference of the MNIST network: ctnn against the weight-streaming floor and a hand-written
// Eigen baseline, in one binary and one run. Run: build/bench/bench_inference
// --benchmark_repetitions=5 --benchmark_report_aggregates_only=true (quote medians).
#include <benchmark/benchmark.h>
#include <vector>
#include "mnist_models.hpp"
#include "stream_floor.hpp"

namespace {

void BM_weight_streaming_floor(benchmark::State& state) {
    const auto net = bench::make_net();
    bench::stream_floor(state, net->parameters(), bench::Net::parameter_block_size);
}
BENCHMARK(BM_weight_streaming_floor);

void BM_ctnn_batch1(benchmark::State& state) {
    const auto net = bench::make_net();
    std::array<float, 784> x;
    std::array<float, 10> y;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 255) / 255.0f;
    for (auto _ : state) {
        net->forward(x, y);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["samples/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(bench::flops_per_sample * double(state.iterations()) * 1e-9,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ctnn_batch1);

void BM_eigen_batch1(benchmark::State& state) {
    const auto net = bench::make_net();
    const auto eigen = std::make_unique<bench::EigenMnist>(*net);
    Eigen::Matrix<float, 784, 1> x;
    Eigen::Matrix<float, 10, 1> y;
    for (int i = 0; i < 784; ++i) x[i] = float(i % 255) / 255.0f;
    for (auto _ : state) {
        eigen->forward(x, y);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["samples/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_eigen_batch1);

void BM_ctnn_batch(benchmark::State& state) {
    const auto batch = std::size_t(state.range(0));
    const auto net = bench::make_net();
    ctnn::InferenceScratch<bench::Net> scratch(batch);
    std::vector<float> x(batch * 784), y(batch * 10);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 255) / 255.0f;
    for (auto _ : state) {
        net->forward(x, y, scratch);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["samples/s"] = benchmark::Counter(double(batch * state.iterations()), benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(bench::flops_per_sample * double(batch * state.iterations()) * 1e-9,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ctnn_batch)->Arg(1)->Arg(8)->Arg(100)->Arg(1000);

void BM_eigen_batch(benchmark::State& state) {
    const auto batch = int(state.range(0));
    const auto net = bench::make_net();
    using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMat w1 = Eigen::Map<const RowMat>(net->layer<0>().weight.data(), 256, 784);
    RowMat w2 = Eigen::Map<const RowMat>(net->layer<2>().weight.data(), 256, 256);
    RowMat w3 = Eigen::Map<const RowMat>(net->layer<4>().weight.data(), 10, 256);
    Eigen::RowVectorXf b1 = Eigen::Map<const Eigen::RowVectorXf>(net->layer<0>().bias.data(), 256);
    Eigen::RowVectorXf b2 = Eigen::Map<const Eigen::RowVectorXf>(net->layer<2>().bias.data(), 256);
    Eigen::RowVectorXf b3 = Eigen::Map<const Eigen::RowVectorXf>(net->layer<4>().bias.data(), 10);
    RowMat x = RowMat::Random(batch, 784).cwiseAbs(), h1(batch, 256), h2(batch, 256), y(batch, 10);
    for (auto _ : state) {
        h1.noalias() = x * w1.transpose();
        h1 = (h1.rowwise() + b1).cwiseMax(0.0f);
        h2.noalias() = h1 * w2.transpose();
        h2 = (h2.rowwise() + b2).cwiseMax(0.0f);
        y.noalias() = h2 * w3.transpose();
        y.rowwise() += b3;
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["samples/s"] = benchmark::Counter(double(batch * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_eigen_batch)->Arg(1)->Arg(8)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
