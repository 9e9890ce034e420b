// Streaming models one sample at a time, as an audio callback runs them, ctnn's Stream against
// straightforward Eigen implementations written here with the same weights (each checked to
// agree with ctnn before timing). Figures are ns per sample (items_per_second inverted).
//  - A dilated Conv1D stack: 1 -> 8 -> 8 -> 8 channels, kernel 3, dilations 1, 2, 4, tanh after
//    each (receptive field 15 samples); Eigen: ring buffers of past inputs, a matrix-vector
//    product per tap.
//  - GRU<1, H> and LSTM<1, H> then a Linear to one output on each step (Conv1D<H, 1, 1>), H = 8,
//    16, 32, 64: RTNeural's benchmark models; Eigen: fixed-size matrices, PyTorch's equations.
//    ctnn streamed through the model and through a StreamModel, and the whole-sequence forward.
#include <benchmark/benchmark.h>
#include <Eigen/Dense>
#include <ctnn/ctnn.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
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

// ---------------------------------------------------------------- recurrent cells

template <std::size_t H, bool Lstm>
using RnnModel = ctnn::Seq<ctnn::Input<1, 64>, std::conditional_t<Lstm, ctnn::LSTM<1, H>, ctnn::GRU<1, H>>,
                           ctnn::Conv1D<H, 1, 1>>;

template <std::size_t H, bool Lstm>
const RnnModel<H, Lstm>& rnn_model() {
    static const RnnModel<H, Lstm> net = [] {
        RnnModel<H, Lstm> n;
        ctnn::Rng rng(2);
        ctnn::init::pytorch_default(n, rng);
        return n;
    }();
    return net;
}

/// The same cell and output layer with fixed-size Eigen matrices.
template <std::size_t H, bool Lstm>
class EigenRnn {
    static constexpr int G = Lstm ? 4 : 3, R = G * int(H), N = int(H);

public:
    EigenRnn() {
        using Net = RnnModel<H, Lstm>;
        using L = typename Net::template layer_type<0>;
        const float* p = rnn_model<H, Lstm>().parameters();
        w_ih_ = Eigen::Map<const Eigen::Matrix<float, R, 1>>(p + L::tensors[0].offset);
        w_hh_ = Eigen::Map<const Eigen::Matrix<float, R, N, Eigen::RowMajor>>(p + L::tensors[1].offset);
        b_ = Eigen::Map<const Eigen::Matrix<float, R, 1>>(p + L::tensors[2].offset) +
             Eigen::Map<const Eigen::Matrix<float, R, 1>>(p + L::tensors[3].offset);
        b_hh_ = Eigen::Map<const Eigen::Matrix<float, R, 1>>(p + L::tensors[3].offset);
        b_ih_ = Eigen::Map<const Eigen::Matrix<float, R, 1>>(p + L::tensors[2].offset);
        const float* d = p + Net::table[1].param_offset;
        dense_ = Eigen::Map<const Eigen::Matrix<float, 1, N>>(d);
        dense_bias_ = d[ctnn::Conv1D<H, 1, 1>::bias_offset];
        h_.setZero();
        c_.setZero();
    }
    float step(float x) {
        if constexpr (Lstm) {
            const Eigen::Matrix<float, R, 1> g = w_ih_ * x + w_hh_ * h_ + b_;
            const auto i = sigmoid(g.template segment<N>(0));
            const auto f = sigmoid(g.template segment<N>(N));
            const Eigen::Matrix<float, N, 1> cand = g.template segment<N>(2 * N).array().tanh();
            const auto o = sigmoid(g.template segment<N>(3 * N));
            c_ = (f.array() * c_.array() + i.array() * cand.array()).matrix();
            h_ = (o.array() * c_.array().tanh()).matrix();
        } else {
            const Eigen::Matrix<float, R, 1> gi = w_ih_ * x + b_ih_;
            const Eigen::Matrix<float, R, 1> gh = w_hh_ * h_ + b_hh_;
            const auto r = sigmoid(gi.template segment<N>(0) + gh.template segment<N>(0));
            const auto z = sigmoid(gi.template segment<N>(N) + gh.template segment<N>(N));
            const Eigen::Matrix<float, N, 1> n =
                (gi.template segment<N>(2 * N).array() + r.array() * gh.template segment<N>(2 * N).array()).tanh();
            h_ = (n.array() + z.array() * (h_.array() - n.array())).matrix();
        }
        return dense_.dot(h_) + dense_bias_;
    }

private:
    static Eigen::Matrix<float, N, 1> sigmoid(const Eigen::Matrix<float, N, 1>& v) {
        return (1.0f / (1.0f + (-v.array()).exp())).matrix();
    }
    Eigen::Matrix<float, R, 1> w_ih_, b_, b_ih_, b_hh_;
    Eigen::Matrix<float, R, N, Eigen::RowMajor> w_hh_;
    Eigen::Matrix<float, 1, N> dense_;
    float dense_bias_ = 0;
    Eigen::Matrix<float, N, 1> h_, c_;
};

/// `block` single steps of a Stream through `model` (the Seq or a StreamModel of it).
template <class Net, class Model>
void time_steps(benchmark::State& state, const Model& model, const std::vector<float>& x) {
    ctnn::Stream<Net> voice;
    float y = 0;
    for (auto _ : state)
        for (std::size_t t = 0; t < block; ++t) {
            voice.step(model, std::span<const float, 1>(&x[t], 1), std::span<float, 1>(&y, 1));
            benchmark::DoNotOptimize(y);
        }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(block));
}

template <std::size_t H, bool Lstm>
void BM_ctnn_rnn(benchmark::State& state) {
    const auto x = signal();
    const auto& net = rnn_model<H, Lstm>();
    {  // agree with Eigen first
        ctnn::Stream<RnnModel<H, Lstm>> voice;
        EigenRnn<H, Lstm> eigen;
        for (std::size_t t = 0; t < 256; ++t) {
            float y = 0;
            voice.step(net, std::span<const float, 1>(&x[t], 1), std::span<float, 1>(&y, 1));
            const float e = eigen.step(x[t]);
            if (std::abs(y - e) > 1e-4f) {
                std::fprintf(stderr, "bench_stream: ctnn and Eigen differ at step %zu: %g vs %g\n", t, y, e);
                std::exit(1);
            }
        }
    }
    time_steps<RnnModel<H, Lstm>>(state, net, x);
}

/// The same stream through a StreamModel (W_hh packed for streaming where that is faster).
template <std::size_t H, bool Lstm>
void BM_ctnn_rnn_prepared(benchmark::State& state) {
    time_steps<RnnModel<H, Lstm>>(state, ctnn::StreamModel<RnnModel<H, Lstm>>(rnn_model<H, Lstm>()), signal());
}

/// The whole-sequence forward of the same layers on `block` samples at once ({1, block} -> {1, block}).
template <std::size_t H, bool Lstm>
using RnnSequence = ctnn::Seq<ctnn::Input<1, block>, std::conditional_t<Lstm, ctnn::LSTM<1, H>, ctnn::GRU<1, H>>,
                              ctnn::Conv1D<H, 1, 1>>;

template <std::size_t H, bool Lstm>
void BM_ctnn_rnn_sequence(benchmark::State& state) {
    const auto x = signal();
    auto net = std::make_unique<RnnSequence<H, Lstm>>();
    std::copy_n(rnn_model<H, Lstm>().parameters(), RnnSequence<H, Lstm>::parameter_block_size, net->parameters());
    ctnn::InferenceScratch<RnnSequence<H, Lstm>> scratch(1);
    std::vector<float> y(block);
    {  // the same outputs as the stream
        ctnn::Stream<RnnModel<H, Lstm>> voice;
        std::vector<float> streamed(block);
        voice.process(rnn_model<H, Lstm>(), x, streamed);
        net->forward(x, y, scratch);
        for (std::size_t t = 0; t < block; ++t)
            if (std::abs(y[t] - streamed[t]) > 1e-5f) {
                std::fprintf(stderr, "bench_stream: sequence and stream differ at step %zu: %g vs %g\n", t, y[t],
                             streamed[t]);
                std::exit(1);
            }
    }
    for (auto _ : state) {
        net->forward(x, y, scratch);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(block));
}

template <std::size_t H, bool Lstm>
void BM_eigen_rnn(benchmark::State& state) {
    const auto x = signal();
    EigenRnn<H, Lstm> eigen;
    for (auto _ : state)
        for (std::size_t t = 0; t < block; ++t) benchmark::DoNotOptimize(eigen.step(x[t]));
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(block));
}

#define CTNN_RNN_BENCH(H)                                                   \
    BENCHMARK(BM_ctnn_rnn<H, false>)->Name("BM_ctnn_gru/hidden:" #H);                   \
    BENCHMARK(BM_ctnn_rnn_prepared<H, false>)->Name("BM_ctnn_gru_prepared/hidden:" #H); \
    BENCHMARK(BM_ctnn_rnn_sequence<H, false>)->Name("BM_ctnn_gru_sequence/hidden:" #H); \
    BENCHMARK(BM_eigen_rnn<H, false>)->Name("BM_eigen_gru/hidden:" #H);                 \
    BENCHMARK(BM_ctnn_rnn<H, true>)->Name("BM_ctnn_lstm/hidden:" #H);                   \
    BENCHMARK(BM_ctnn_rnn_prepared<H, true>)->Name("BM_ctnn_lstm_prepared/hidden:" #H); \
    BENCHMARK(BM_ctnn_rnn_sequence<H, true>)->Name("BM_ctnn_lstm_sequence/hidden:" #H); \
    BENCHMARK(BM_eigen_rnn<H, true>)->Name("BM_eigen_lstm/hidden:" #H);
CTNN_RNN_BENCH(8)
CTNN_RNN_BENCH(16)
CTNN_RNN_BENCH(32)
CTNN_RNN_BENCH(64)

}  // namespace

BENCHMARK_MAIN();
