// Streaming a dilated Conv1D stack one sample at a time, as an audio callback runs it: 1 -> 8 -> 8
// -> 8 channels, kernel 3, dilations 1, 2, 4, tanh after each (receptive field 15 samples).
// ctnn's Stream against a straightforward Eigen implementation of the same stack, written here
// (ring buffers of past inputs, a matrix-vector product per tap), with the same weights; both
// checked to agree before timing. Figures are ns per sample (items_per_second inverted).
#include <benchmark/benchmark.h>
#include <Eigen/Dense>
#include <ctnn/ctnn.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

using Stack = ctnn::Seq<ctnn::Input<1, 64>, ctnn::Conv1D<1, 8, 3>, ctnn::Tanh, ctnn::Conv1D<8, 8, 3, ctnn::Dilation<2>>,
                        ctnn::Tanh, ctnn::Conv1D<8, 8, 3, ctnn::Dilation<4>>, ctnn::Tanh>;
constexpr std::size_t block = 4096;  // samples per benchmark iteration (an audio buffer or a few)

const Stack& model() {
    static const Stack net = [] {
        Stack n;
        ctnn::Rng rng(1);
        ctnn::init::pytorch_default(n, rng);
        return n;
    }();
    return net;
}

std::vector<float> signal() {
    std::vector<float> x(block);
    for (std::size_t t = 0; t < block; ++t) x[t] = float(std::sin(0.01 * double(t)) + 0.1 * std::sin(0.37 * double(t)));
    return x;
}

/// The same stack in Eigen: per layer a history of the last (K - 1) D inputs and one matrix per tap.
class EigenStack {
public:
    EigenStack() {
        add<1, 8>(1, 0);
        add<8, 8>(2, 2);
        add<8, 8>(4, 4);
    }
    float step(float x, Eigen::Matrix<float, 8, 1>& out) {
        Eigen::VectorXf v(1);
        v[0] = x;
        for (auto& l : layers_) {
            Eigen::VectorXf y = l.bias;
            const std::size_t span = 2 * l.dilation + 1;
            for (std::size_t k = 0; k < 3; ++k) {
                const std::size_t delay = (2 - k) * l.dilation;
                const Eigen::VectorXf& in = delay == 0 ? v : l.history[(l.head + span - delay) % span];
                y.noalias() += l.taps[k] * in;
            }
            l.history[l.head] = v;
            l.head = (l.head + 1) % span;
            v = y.array().tanh();
        }
        out = v;
        return v[0];
    }

private:
    struct Layer {
        std::size_t dilation = 1, head = 0;
        std::array<Eigen::MatrixXf, 3> taps;  // Out x In per tap
        Eigen::VectorXf bias;
        std::vector<Eigen::VectorXf> history;  // a ring of the last 2 D + 1 inputs
    };
    template <std::size_t In, std::size_t Out>
    void add(std::size_t dilation, std::size_t position) {
        Layer l;
        l.dilation = dilation;
        const float* p = model().parameters() + Stack::table[position].param_offset;
        using L = ctnn::Conv1D<In, Out, 3>;
        for (std::size_t k = 0; k < 3; ++k) {
            l.taps[k].resize(Out, In);
            for (std::size_t o = 0; o < Out; ++o)
                for (std::size_t c = 0; c < In; ++c) l.taps[k](o, c) = p[(o * In + c) * 3 + k];
        }
        l.bias = Eigen::Map<const Eigen::VectorXf>(p + L::bias_offset, Out);
        l.history.assign(2 * dilation + 1, Eigen::VectorXf::Zero(In));
        layers_.push_back(std::move(l));
    }
    std::vector<Layer> layers_;
};

void check_agreement() {
    const auto x = signal();
    ctnn::Stream<Stack> voice;
    EigenStack eigen;
    Eigen::Matrix<float, 8, 1> e;
    std::array<float, 8> y{};
    for (std::size_t t = 0; t < 512; ++t) {
        voice.step(model(), std::span<const float, 1>(&x[t], 1), y);
        eigen.step(x[t], e);
        for (std::size_t o = 0; o < 8; ++o)
            if (std::abs(y[o] - e[o]) > 1e-5f) {
                std::fprintf(stderr, "bench_stream: ctnn and Eigen differ at step %zu: %g vs %g\n", t, y[o], e[o]);
                std::exit(1);
            }
    }
}

void BM_ctnn_stream_step(benchmark::State& state) {
    check_agreement();
    const auto x = signal();
    ctnn::Stream<Stack> voice;
    std::array<float, 8> y{};
    for (auto _ : state)
        for (std::size_t t = 0; t < block; ++t) {
            voice.step(model(), std::span<const float, 1>(&x[t], 1), y);
            benchmark::DoNotOptimize(y);
        }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(block));
}
BENCHMARK(BM_ctnn_stream_step);

void BM_ctnn_stream_process(benchmark::State& state) {
    const auto x = signal();
    ctnn::Stream<Stack> voice;
    std::vector<float> y(8 * block);
    for (auto _ : state) {
        voice.process(model(), x, y);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(block));
}
BENCHMARK(BM_ctnn_stream_process);

void BM_eigen_stream_step(benchmark::State& state) {
    const auto x = signal();
    EigenStack eigen;
    Eigen::Matrix<float, 8, 1> y;
    for (auto _ : state)
        for (std::size_t t = 0; t < block; ++t) {
            eigen.step(x[t], y);
            benchmark::DoNotOptimize(y.data());
        }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(block));
}
BENCHMARK(BM_eigen_stream_step);

}  // namespace

BENCHMARK_MAIN();
