// LeNet-5 inference (the MNIST CNN example's network), ctnn against oneDNN (Debian's
// libdnnl-dev, f32, one thread) in one binary and run, with the same weights; the oneDNN
// network is checked against ctnn's outputs before anything is timed. oneDNN picks its own
// layouts for weights and activations (format_tag::any, weights reordered once); the input and
// output are plain NCHW / NC arrays, as ctnn's.
// Run: build/bench/bench/bench_onednn --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// (one oneDNN thread unless OMP_NUM_THREADS says otherwise)
#include <benchmark/benchmark.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>
#include <ctnn/ctnn.hpp>
#include "onednn_steps.hpp"

namespace {

using LeNet = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Conv2D<1, 6, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                        ctnn::Conv2D<6, 16, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Linear<256, 120>,
                        ctnn::ReLU, ctnn::Linear<120, 84>, ctnn::ReLU, ctnn::Linear<84, 10>>;
constexpr double macs_per_sample = 6 * 576 * 25 + 16 * 64 * 150 + 256 * 120 + 120 * 84 + 84 * 10;

std::unique_ptr<LeNet> make_net() {
    auto net = std::make_unique<LeNet>();
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(*net, rng);
    return net;
}

std::vector<float> inputs(std::size_t n) {
    std::vector<float> x(n * 784);
    ctnn::Rng rng(5);
    for (auto& v : x) v = float(rng.uniform01());
    return x;
}

/// LeNet in oneDNN: primitives made once for a batch size, then executed in order.
class OneDnnLeNet : public bench::OneDnnSteps {
public:
    OneDnnLeNet(const LeNet& net, long batch) : OneDnnSteps(batch, 784, 10) {
        src_ = dnnl::memory({{batch, 1, 28, 28}, dt::f32, tag::nchw}, engine_);
        dnnl::memory x = src_;
        x = conv(x, net, 0, 1, 6, 5, 24);
        x = pool(x, 6, 12);
        x = conv(x, net, 3, 6, 16, 5, 8);
        x = pool(x, 16, 4);
        x = dense(x, net, 7, {120, 16, 4, 4}, 120, true);
        x = dense(x, net, 9, {84, 120}, 84, true);
        x = dense(x, net, 11, {10, 84}, 10, false);
        dst_ = x;  // {batch, 10}, nc
    }

private:
    const float* tensor(const LeNet& net, std::size_t position, const char* name) {
        for (const auto& t : LeNet::tensors)
            if (t.position == position && t.info.name == name) return net.parameters() + t.offset;
        std::abort();
    }

    /// A weight in PyTorch's layout, reordered once into the layout `want` asks for.
    dnnl::memory weights(const float* data, const dnnl::memory::desc& plain, const dnnl::memory::desc& want) {
        dnnl::memory user(plain, engine_, const_cast<float*>(data));
        if (want == plain) {
            dnnl::memory copy(plain, engine_);
            std::copy_n(data, plain.get_size() / sizeof(float), static_cast<float*>(copy.get_data_handle()));
            return copy;
        }
        dnnl::memory out(want, engine_);
        dnnl::reorder(user, out).execute(stream_, user, out);
        stream_.wait();
        return out;
    }

    dnnl::memory conv(const dnnl::memory& in, const LeNet& net, std::size_t position, long c, long o, long k, long out) {
        const dnnl::memory::desc w_md({o, c, k, k}, dt::f32, tag::any), b_md({o}, dt::f32, tag::x);
        const dnnl::memory::desc dst_md({batch_, o, out, out}, dt::f32, tag::any);
        const dnnl::memory::desc src_md({batch_, c, out + k - 1, out + k - 1}, dt::f32, tag::any);
        const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                src_md, w_md, b_md, dst_md, {1, 1}, {0, 0}, {0, 0});
        const dnnl::convolution_forward::primitive_desc pd(d, relu(), engine_);
        const dnnl::memory src = in.get_desc() == pd.src_desc() ? in : reordered(in, pd.src_desc());
        auto w = weights(tensor(net, position, "weight"), {{o, c, k, k}, dt::f32, tag::oihw}, pd.weights_desc());
        auto b = weights(tensor(net, position, "bias"), b_md, pd.bias_desc());
        dnnl::memory dst(pd.dst_desc(), engine_);
        add(dnnl::convolution_forward(pd),
            {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
        return dst;
    }

    dnnl::memory pool(const dnnl::memory& in, long c, long out) {
        const dnnl::memory::desc dst_md({batch_, c, out, out}, dt::f32, tag::any);
        const dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
                                            in.get_desc(), dst_md, {2, 2}, {2, 2}, {0, 0}, {0, 0});
        const dnnl::pooling_forward::primitive_desc pd(d, engine_);
        dnnl::memory dst(pd.dst_desc(), engine_);
        add(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, in}, {DNNL_ARG_DST, dst}});
        return dst;
    }

    dnnl::memory dense(const dnnl::memory& in, const LeNet& net, std::size_t position, dnnl::memory::dims w_dims, long o,
                       bool with_relu) {
        const dnnl::memory::desc w_md(w_dims, dt::f32, tag::any), b_md({o}, dt::f32, tag::x);
        const dnnl::memory::desc dst_md({batch_, o}, dt::f32, with_relu ? tag::any : tag::nc);
        const dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, in.get_desc(), w_md, b_md, dst_md);
        const auto pd = with_relu ? dnnl::inner_product_forward::primitive_desc(d, relu(), engine_)
                                  : dnnl::inner_product_forward::primitive_desc(d, engine_);
        const auto plain_tag = w_dims.size() == 4 ? tag::oihw : tag::oi;
        auto w = weights(tensor(net, position, "weight"), {w_dims, dt::f32, plain_tag}, pd.weights_desc());
        auto b = weights(tensor(net, position, "bias"), b_md, pd.bias_desc());
        dnnl::memory dst(pd.dst_desc(), engine_);
        add(dnnl::inner_product_forward(pd),
            {{DNNL_ARG_SRC, in}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
        return dst;
    }

    /// A step that reorders `in` into the layout `want` (between layers that chose different ones).
    dnnl::memory reordered(const dnnl::memory& in, const dnnl::memory::desc& want) {
        dnnl::memory out(want, engine_);
        add(dnnl::reorder(in, out), {{DNNL_ARG_FROM, in}, {DNNL_ARG_TO, out}});
        return out;
    }
};

void report(benchmark::State& state, std::size_t batch) {
    const double samples = double(batch * state.iterations());
    state.counters["samples/s"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(samples * 2 * macs_per_sample * 1e-9, benchmark::Counter::kIsRate);
}

void BM_ctnn_lenet(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    const auto net = make_net();
    const auto x = inputs(n);
    ctnn::InferenceScratch<LeNet> scratch(n);
    std::vector<float> y(n * 10);
    for (auto _ : state) {
        net->forward(x, y, scratch);
        benchmark::DoNotOptimize(y.data());
    }
    report(state, n);
}
BENCHMARK(BM_ctnn_lenet)->Arg(1)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");

void BM_onednn_lenet(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    const auto net = make_net();
    const auto x = inputs(n);
    OneDnnLeNet dnn(*net, long(n));
    std::vector<float> y(n * 10), expected(n * 10);
    ctnn::InferenceScratch<LeNet> scratch(n);
    net->forward(x, expected, scratch);
    dnn.run(x.data(), y.data());
    for (std::size_t i = 0; i < y.size(); ++i)
        if (std::abs(y[i] - expected[i]) > 1e-4f + 1e-4f * std::abs(expected[i])) {
            state.SkipWithError("oneDNN's outputs differ from ctnn's: the baseline is not the same network");
            return;
        }
    for (auto _ : state) {
        dnn.run(x.data(), y.data());
        benchmark::DoNotOptimize(y.data());
    }
    report(state, n);
}
BENCHMARK(BM_onednn_lenet)->Arg(1)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");

}  // namespace

int main(int argc, char** argv) {
    bench::one_onednn_thread(argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
