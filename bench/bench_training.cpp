// Training the MNIST network (batch 100, softmax cross-entropy, Adam): one step and one epoch of
// 60,000 synthetic samples, ctnn against a hand-written Eigen baseline, in one binary and run.
// The Trainer's epoch is measured without diagnostics, with per-epoch diagnostics and with
// per-batch records, next to the bare steps, and the Trainer's finiteness check of each batch's
// gradients on its own.
// Run: build/bench/bench_training --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>
#include <ctnn/kernels/statistics.hpp>
#include <ctnn/train/data_parallel.hpp>
#include <ctnn/train/diagnostics.hpp>
#include <ctnn/train/progress.hpp>
#include <ctnn/train/step.hpp>
#include <ctnn/train/trainer.hpp>
#include "mnist_models.hpp"

namespace {

constexpr std::size_t batch = 100;
// Forward, backward without the first layer's input gradient, and the optimizer's pass.
constexpr double train_flops_per_sample = 3 * bench::flops_per_sample - 2.0 * 784 * 256;

struct Data {
    std::vector<float> x;
    std::vector<int> labels;
    explicit Data(std::size_t n) : x(n * 784), labels(n) {
        ctnn::Rng rng(5);
        for (auto& v : x) v = float(rng.uniform01());
        for (auto& l : labels) l = int(rng.below(10));
    }
};

struct CtnnTrainer {
    std::unique_ptr<bench::Net> net = bench::make_net();
    ctnn::train::StepBuffers<bench::Net> buffers{batch};
    ctnn::optim::Adam<bench::Net> adam;
    ctnn::loss::SoftmaxCrossEntropy loss;
    ctnn::ThreadPool pool;
    ctnn::train::DataParallel<bench::Net> parallel{pool, batch};

    explicit CtnnTrainer(std::size_t threads = 1) : pool(threads) {}

    float step(std::span<const float> x, std::span<const int> labels) {
        if (pool.size() > 1) return parallel.train_step(*net, adam, loss, x, labels, buffers.gradients);
        return ctnn::train::step(*net, adam, loss, x, labels, buffers);
    }
};

/// The same step by hand with Eigen (row-major batch x features, GEMMs through Eigen's kernels).
struct EigenTrainer {
    using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Vec = Eigen::RowVectorXf;
    Mat w[3];
    Vec b[3];
    Mat gw[3], mw[3], vw[3];
    Vec gb[3], mb[3], vb[3];
    Mat h1, h2, z, d2, d1;
    int t = 0;

    EigenTrainer() {
        const auto net = bench::make_net();
        const int sizes[4] = {784, 256, 256, 10};
        auto load = [&](int k, auto view) {
            w[k] = Eigen::Map<const Mat>(view.weight.data(), sizes[k + 1], sizes[k]);
            b[k] = Eigen::Map<const Vec>(view.bias.data(), sizes[k + 1]);
        };
        load(0, net->layer<0>());
        load(1, net->layer<2>());
        load(2, net->layer<4>());
        for (int k = 0; k < 3; ++k) {
            gw[k] = mw[k] = vw[k] = Mat::Zero(w[k].rows(), w[k].cols());
            gb[k] = mb[k] = vb[k] = Vec::Zero(b[k].size());
        }
    }

    template <class P, class G, class M, class V>
    static void adam(P& p, const G& g, M& m, V& v, float bc1, float bc2) {
        m = 0.9f * m + 0.1f * g;
        v = 0.999f * v + 0.001f * g.cwiseProduct(g);
        p.array() -= (1e-3f / bc1) * m.array() / (v.array().sqrt() / bc2 + 1e-8f);
    }

    float step(const Eigen::Map<const Mat>& x, std::span<const int> labels) {
        const int n = int(labels.size());
        h1.noalias() = x * w[0].transpose();
        h1 = (h1.rowwise() + b[0]).cwiseMax(0.0f);
        h2.noalias() = h1 * w[1].transpose();
        h2 = (h2.rowwise() + b[1]).cwiseMax(0.0f);
        z.noalias() = h2 * w[2].transpose();
        z.rowwise() += b[2];
        float loss = 0;
        for (int r = 0; r < n; ++r) {  // softmax cross-entropy and its gradient, in place
            const float m = z.row(r).maxCoeff();
            z.row(r).array() = (z.row(r).array() - m).exp();
            const float s = z.row(r).sum();
            loss += std::log(s) - std::log(z(r, labels[r]));
            z.row(r) /= s * float(n);
            z(r, labels[r]) -= 1.0f / float(n);
        }
        gw[2].noalias() = z.transpose() * h2;
        gb[2] = z.colwise().sum();
        d2.noalias() = z * w[2];
        d2 = d2.cwiseProduct((h2.array() > 0.0f).cast<float>().matrix());
        gw[1].noalias() = d2.transpose() * h1;
        gb[1] = d2.colwise().sum();
        d1.noalias() = d2 * w[1];
        d1 = d1.cwiseProduct((h1.array() > 0.0f).cast<float>().matrix());
        gw[0].noalias() = d1.transpose() * x;
        gb[0] = d1.colwise().sum();
        ++t;
        const float bc1 = 1.0f - std::pow(0.9f, float(t)), bc2 = std::sqrt(1.0f - std::pow(0.999f, float(t)));
        for (int k = 0; k < 3; ++k) {
            adam(w[k], gw[k], mw[k], vw[k], bc1, bc2);
            adam(b[k], gb[k], mb[k], vb[k], bc1, bc2);
        }
        return loss / float(n);
    }
};

void report(benchmark::State& state, std::size_t samples_per_iteration) {
    const double samples = double(samples_per_iteration * state.iterations());
    state.counters["samples/s"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(samples * train_flops_per_sample * 1e-9, benchmark::Counter::kIsRate);
}

void BM_ctnn_train_step(benchmark::State& state) {
    const Data data(batch);
    CtnnTrainer t(std::size_t(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(t.step(data.x, data.labels));
    report(state, batch);
}
BENCHMARK(BM_ctnn_train_step)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();

void BM_eigen_train_step(benchmark::State& state) {
    const Data data(batch);
    EigenTrainer t;
    const Eigen::Map<const EigenTrainer::Mat> x(data.x.data(), batch, 784);
    for (auto _ : state) benchmark::DoNotOptimize(t.step(x, data.labels));
    report(state, batch);
}
BENCHMARK(BM_eigen_train_step)->UseRealTime();

constexpr std::size_t epoch = 60000;

void BM_ctnn_epoch(benchmark::State& state) {
    const Data data(epoch);
    CtnnTrainer t(std::size_t(state.range(0)));
    for (auto _ : state)
        for (std::size_t s = 0; s < epoch; s += batch)
            benchmark::DoNotOptimize(t.step(std::span(data.x).subspan(s * 784, batch * 784),
                                            std::span(data.labels).subspan(s, batch)));
    report(state, epoch);
}
BENCHMARK(BM_ctnn_epoch)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_eigen_epoch(benchmark::State& state) {
    const Data data(epoch);
    EigenTrainer t;
    for (auto _ : state)
        for (std::size_t s = 0; s < epoch; s += batch)
            benchmark::DoNotOptimize(t.step(Eigen::Map<const EigenTrainer::Mat>(data.x.data() + s * 784, batch, 784),
                                            std::span(data.labels).subspan(s, batch)));
    report(state, epoch);
}
BENCHMARK(BM_eigen_epoch)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

/// An epoch through train::Trainer (gathering shuffled batches, the finiteness checks), with
/// diagnostics off (0), per epoch (1) or with a record per batch too (2).
void BM_trainer_epoch(benchmark::State& state) {
    const Data data(epoch);
    const auto mode = state.range(1);
    auto net = bench::make_net();
    ctnn::optim::Adam<bench::Net> adam;
    ctnn::Rng rng(3);
    ctnn::ThreadPool pool(std::size_t(state.range(0)));
    ctnn::train::Trainer trainer(*net, adam, ctnn::loss::SoftmaxCrossEntropy{},
                                 ctnn::train::DataView(data.x, data.labels, 784), {.batch = batch}, rng, &pool);
    ctnn::train::Diagnostics<bench::Net> diagnostics({.per_batch = mode == 2});
    if (mode > 0) diagnostics.attach(trainer);
    for (auto _ : state) benchmark::DoNotOptimize(trainer.run_epoch());
    report(state, epoch);
}
BENCHMARK(BM_trainer_epoch)
    ->ArgsProduct({{1, 2}, {0, 1, 2}})
    ->ArgNames({"threads", "diagnostics"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

/// What the MNIST example adds to the Trainer's epoch: its images are bytes, converted to floats
/// as each batch is gathered, and it draws a progress bar (here forced on, into /dev/null).
/// Against the same epoch on the same values already in floats, epochs of the two alternating
/// (in this binary the benchmark that runs first was 15-20% slower, whichever it was): the time
/// is the example's epoch, `vs_floats` the median of its ratios to the other's.
void BM_example_epoch(benchmark::State& state) {
    std::vector<std::uint8_t> pixels(epoch * 784), labels(epoch);
    ctnn::Rng data_rng(5);  // MNIST's proportion of zero pixels, about 80%
    for (auto& p : pixels) p = data_rng.below(5) == 0 ? std::uint8_t(1 + data_rng.below(255)) : 0;
    for (auto& l : labels) l = std::uint8_t(data_rng.below(10));
    std::vector<float> floats(pixels.size());
    for (std::size_t i = 0; i < pixels.size(); ++i) floats[i] = float(pixels[i]) / 255.0f;
    const std::vector<int> int_labels(labels.begin(), labels.end());
    const auto net = bench::make_net(), net_floats = bench::make_net();
    ctnn::optim::Adam<bench::Net> adam, adam_floats;
    ctnn::Rng rng(3), rng_floats(3);
    ctnn::ThreadPool pool(1);
    const ctnn::train::BatchOptions options{.batch = batch};
    ctnn::train::Trainer example(*net, adam, ctnn::loss::SoftmaxCrossEntropy{},
                                 ctnn::train::ByteImageView(pixels, labels, 784), options, rng, &pool);
    ctnn::train::Trainer on_floats(*net_floats, adam_floats, ctnn::loss::SoftmaxCrossEntropy{},
                                   ctnn::train::DataView(floats, int_labels, 784), options, rng_floats, &pool);
    std::FILE* null = std::fopen("/dev/null", "w");
    ctnn::train::Progress progress(null, true);
    progress.attach(example);
    const auto seconds = [](auto& trainer) {
        const auto start = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(trainer.run_epoch());
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::vector<double> ratios;
    for (auto _ : state) {
        const bool example_first = state.iterations() % 2 == 0;
        const double before = example_first ? 0.0 : seconds(on_floats);
        const double s = seconds(example);
        ratios.push_back(s / (example_first ? seconds(on_floats) : before));
        state.SetIterationTime(s);
    }
    std::fclose(null);
    std::sort(ratios.begin(), ratios.end());  // the median of the epochs' ratios
    state.counters["vs_floats"] = (ratios[(ratios.size() - 1) / 2] + ratios[ratios.size() / 2]) / 2;
    report(state, epoch);
}
BENCHMARK(BM_example_epoch)->Unit(benchmark::kMillisecond)->Iterations(6)->UseManualTime();

/// The Trainer's check that a batch's gradients are finite, over the MNIST net's gradients.
void BM_gradients_finite_check(benchmark::State& state) {
    ctnn::Gradients<bench::Net> grads;
    for (auto _ : state) benchmark::DoNotOptimize(ctnn::kernels::all_finite(grads.data(), bench::Net::parameter_block_size));
}
BENCHMARK(BM_gradients_finite_check);

}  // namespace

BENCHMARK_MAIN();
