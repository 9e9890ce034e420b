// Convolutional networks: the MNIST CNN example's LeNet-5 (batch 100, softmax cross-entropy,
// Adam) for one training step, an epoch of 60,000 synthetic samples (1 and 2 threads) and
// inference at batch 1 and 100; and the network of PyTorch's own MNIST example (two 3x3
// convolutions of 32 and 64 channels, 9216-128-10) for one training step. PyTorch runs the same
// workloads in tools/bench_torch.py, which prints both side by side.
// Run: build/bench/bench_cnn --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <memory>
#include <vector>
#include <ctnn/ctnn.hpp>

namespace {

using LeNet = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Conv2D<1, 6, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                        ctnn::Conv2D<6, 16, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Linear<256, 120>,
                        ctnn::ReLU, ctnn::Linear<120, 84>, ctnn::ReLU, ctnn::Linear<84, 10>>;
using TorchExampleNet = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Conv2D<1, 32, 3>, ctnn::ReLU, ctnn::Conv2D<32, 64, 3>,
                                  ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Linear<9216, 128>, ctnn::ReLU,
                                  ctnn::Linear<128, 10>>;
constexpr std::size_t batch = 100, epoch = 60000;

/// Multiply-adds of one sample's forward pass through the convolutions and Linear layers.
template <class Net>
constexpr double forward_macs() {
    double macs = 0;
    for (const auto& t : Net::tensors)
        if (t.info.role == ctnn::TensorRole::weight) {
            const auto& e = Net::table[t.position];
            const double per_output = double(t.info.size()) / double(t.info.dims[0]);
            macs += per_output * double(e.out.size());
        }
    return macs;
}

struct Data {
    std::vector<float> x;
    std::vector<int> labels;
    explicit Data(std::size_t n) : x(n * 784), labels(n) {
        ctnn::Rng rng(5);
        for (auto& v : x) v = float(rng.uniform01());
        for (auto& l : labels) l = int(rng.below(10));
    }
};

template <class Net>
struct Trainer {
    std::unique_ptr<Net> net = std::make_unique<Net>();
    ctnn::train::StepBuffers<Net> buffers{batch};
    ctnn::optim::Adam<Net> adam;
    ctnn::loss::SoftmaxCrossEntropy loss;
    ctnn::ThreadPool pool;
    ctnn::train::DataParallel<Net> parallel{pool, batch};

    explicit Trainer(std::size_t threads) : pool(threads) {
        ctnn::Rng rng(1);
        ctnn::init::pytorch_default(*net, rng);
    }
    float step(std::span<const float> x, std::span<const int> labels) {
        if (pool.size() > 1) return parallel.train_step(*net, adam, loss, x, labels, buffers.gradients);
        return ctnn::train::step(*net, adam, loss, x, labels, buffers);
    }
};

template <class Net>
void report(benchmark::State& state, std::size_t samples_per_iteration, double passes) {
    const double samples = double(samples_per_iteration * state.iterations());
    state.counters["samples/s"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] =
        benchmark::Counter(samples * passes * 2 * forward_macs<Net>() * 1e-9, benchmark::Counter::kIsRate);
}

template <class Net>
void BM_train_step(benchmark::State& state) {
    const Data data(batch);
    Trainer<Net> t(std::size_t(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(t.step(data.x, data.labels));
    report<Net>(state, batch, 3.0);  // forward, input and weight gradients
}
BENCHMARK(BM_train_step<LeNet>)->Name("BM_lenet_train_step")->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();
BENCHMARK(BM_train_step<TorchExampleNet>)
    ->Name("BM_torch_example_net_train_step")
    ->Arg(1)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_lenet_epoch(benchmark::State& state) {
    const Data data(epoch);
    Trainer<LeNet> t(std::size_t(state.range(0)));
    for (auto _ : state)
        for (std::size_t s = 0; s < epoch; s += batch)
            benchmark::DoNotOptimize(
                t.step(std::span(data.x).subspan(s * 784, batch * 784), std::span(data.labels).subspan(s, batch)));
    report<LeNet>(state, epoch, 3.0);
}
BENCHMARK(BM_lenet_epoch)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_lenet_inference(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    const Data data(n);
    Trainer<LeNet> t(1);
    const LeNet& net = *t.net;
    ctnn::InferenceScratch<LeNet> scratch(n);
    std::vector<float> y(n * 10);
    for (auto _ : state) {
        net.forward(data.x, y, scratch);
        benchmark::DoNotOptimize(y.data());
    }
    report<LeNet>(state, n, 1.0);
}
BENCHMARK(BM_lenet_inference)->Arg(1)->Arg(100)->ArgName("batch");

/// Single-sample forward(x, y): its buffers on the stack.
void BM_lenet_single_sample(benchmark::State& state) {
    const Data data(1);
    Trainer<LeNet> t(1);
    const LeNet& net = *t.net;
    std::array<float, 784> x{};
    std::copy_n(data.x.begin(), 784, x.begin());
    std::array<float, 10> y{};
    for (auto _ : state) {
        net.forward(x, y);
        benchmark::DoNotOptimize(y.data());
    }
    report<LeNet>(state, 1, 1.0);
}
BENCHMARK(BM_lenet_single_sample);

}  // namespace

BENCHMARK_MAIN();
