// LeNet's layers one kernel at a time, batch 1 and 100: where a training step and an inference
// go, layer by layer (the convolutions with GFLOP/s, the poolings' forward and backward, the
// second convolution's input gradient split into its product and its col2im). For tuning the
// kernels on a new machine; bench_cnn measures the whole network.
#include <benchmark/benchmark.h>
#include <ctnn/ctnn.hpp>
#include <cstddef>
#include <random>
#include <vector>

namespace {

namespace k = ctnn::kernels;
constexpr k::ConvGeometry conv1{1, 28, 28, 6, 5, 5}, conv2{6, 12, 12, 16, 5, 5};
constexpr k::PoolGeometry pool1{6, 24, 24, 2, 2, 2, 2, 0, 0}, pool2{16, 8, 8, 2, 2, 2, 2, 0, 0};

std::vector<float> random(std::size_t n) {
    std::vector<float> v(n);
    std::mt19937 gen{static_cast<unsigned>(n)};
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (auto& x : v) x = d(gen);
    return v;
}

enum class Pass { forward, weight_grad, both_grads };

template <k::ConvGeometry G, Pass P>
void BM_conv(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    constexpr std::size_t in = G.in_channels * G.height * G.width, out = G.out_channels * G.positions();
    auto x = random(n * in), w = random(G.out_channels * G.taps()), b = random(G.out_channels);
    auto y = random(n * out), dy = random(n * out), dx = random(n * in), dw = random(w.size()), db = random(b.size());
    std::vector<float> scratch(G.scratch_floats());
    for (auto _ : state) {
        if constexpr (P == Pass::forward)
            k::conv2d_forward<G, k::relu_op>(x.data(), n, w.data(), b.data(), y.data(), scratch.data());
        else
            k::conv2d_backward<G>(x.data(), dy.data(), n, w.data(), P == Pass::both_grads ? dx.data() : nullptr,
                                  dw.data(), db.data(), scratch.data());
        benchmark::ClobberMemory();
    }
    const double macs = double(G.out_channels * G.taps() * G.positions() * n) * (P == Pass::both_grads ? 2 : 1);
    state.counters["GFLOP/s"] = benchmark::Counter(2 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

/// The input gradient's two halves, per sample: dcol = W^T dY, then col2im.
template <k::ConvGeometry G, bool Product>
void BM_input_grad(benchmark::State& state) {
    constexpr std::size_t n = 100, in = G.in_channels * G.height * G.width, out = G.out_channels * G.positions();
    auto w = random(G.out_channels * G.taps()), dy = random(n * out), dx = random(n * in);
    std::vector<float> dcol(G.scratch_floats());
    for (auto _ : state) {
        for (std::size_t s = 0; s < n; ++s)
            if constexpr (Product)
                k::detail::axpy_product<G.positions(), false, k::default_arch>(G.taps(), G.out_channels, w.data(), 1,
                                                                               G.taps(), dy.data() + s * out, dcol.data());
            else
                k::detail::col2im_add<G>(dcol.data(), dx.data() + s * in);
        benchmark::ClobberMemory();
    }
}

template <k::PoolGeometry G, bool Forward>
void BM_max_pool(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    auto x = random(n * G.in_size()), y = random(n * G.out_size()), dx = random(n * G.in_size());
    for (auto _ : state) {
        if constexpr (Forward) k::max_pool2d_forward<G>(x.data(), n, y.data());
        else k::max_pool2d_backward<G>(x.data(), y.data(), y.data(), n, dx.data());
        benchmark::ClobberMemory();
    }
}

BENCHMARK(BM_conv<conv1, Pass::forward>)->Arg(1)->Arg(100)->ArgName("batch")->Name("conv1_forward");
BENCHMARK(BM_conv<conv1, Pass::weight_grad>)->Arg(100)->ArgName("batch")->Name("conv1_weight_grad");
BENCHMARK(BM_conv<conv2, Pass::forward>)->Arg(1)->Arg(100)->ArgName("batch")->Name("conv2_forward");
BENCHMARK(BM_conv<conv2, Pass::weight_grad>)->Arg(100)->ArgName("batch")->Name("conv2_weight_grad");
BENCHMARK(BM_conv<conv2, Pass::both_grads>)->Arg(100)->ArgName("batch")->Name("conv2_both_grads");
BENCHMARK(BM_input_grad<conv2, true>)->Name("conv2_input_grad_product/batch:100");
BENCHMARK(BM_input_grad<conv2, false>)->Name("conv2_input_grad_col2im/batch:100");
BENCHMARK(BM_max_pool<pool1, true>)->Arg(1)->Arg(100)->ArgName("batch")->Name("pool1_forward");
BENCHMARK(BM_max_pool<pool1, false>)->Arg(100)->ArgName("batch")->Name("pool1_backward");
BENCHMARK(BM_max_pool<pool2, true>)->Arg(1)->Arg(100)->ArgName("batch")->Name("pool2_forward");
BENCHMARK(BM_max_pool<pool2, false>)->Arg(100)->ArgName("batch")->Name("pool2_backward");

}  // namespace

BENCHMARK_MAIN();
