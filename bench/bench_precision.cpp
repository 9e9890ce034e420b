// The MNIST network (784-256-256-10, ReLU) in fp32, bf16 and int8: ctnn's Seq, Bf16Model and
// Int8Model against oneDNN f32 and bf16 (Debian's libdnnl-dev, one thread) with the same
// weights, and what this machine can do at all: its FMA peak per core and the time to read the
// weights once (fp32, bf16, int8), all in one binary and one run, so every figure can be quoted
// as a ratio.
// Run: build/bench/bench/bench_precision --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include <immintrin.h>
#include <xsimd/xsimd.hpp>
#include "mnist_models.hpp"
#include "run_model.hpp"
#include "stream_floor.hpp"
#if defined(CTNN_BENCH_ONEDNN)
#include "onednn_steps.hpp"
#endif

namespace {

using V = xsimd::batch<float>;

// The FMA peak of one core: independent chains of vector FMAs, enough to cover the latency of
// every FMA port (AVX-512: 24 of 32 registers; 16-register instruction sets: 12).
void BM_fma_peak(benchmark::State& state) {
    constexpr std::size_t chains = ctnn::kernels::vector_registers<xsimd::default_arch> >= 32 ? 24 : 12;
    constexpr std::size_t rounds = 1024;
    V acc[chains];
    for (std::size_t k = 0; k < chains; ++k) acc[k] = V(float(k));
    const V a(0.999f), b(0.001f);
    for (auto _ : state) {
        for (std::size_t r = 0; r < rounds; ++r)
#pragma GCC unroll 32
            for (std::size_t k = 0; k < chains; ++k) acc[k] = xsimd::fma(acc[k], a, b);
        benchmark::DoNotOptimize(acc);
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * V::size * chains * rounds * double(state.iterations()) * 1e-9,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_fma_peak);

// The same for the reduced-precision products: independent chains of vdpbf16ps (32 multiply-adds
// each) and vpdpbusd (64), where the build has them. GFLOP/s counts two operations per product.
template <class Acc, class Step>
void dot_peak(benchmark::State& state, std::size_t products, Acc init, Step step) {
    constexpr std::size_t chains = 24, rounds = 1024;
    Acc acc[chains];
    for (std::size_t k = 0; k < chains; ++k) acc[k] = init;
    __m512i a = _mm512_set1_epi32(0x3F803F80);  // bf16 pairs (1, 1); as bytes, small integers
    for (auto _ : state) {
        for (std::size_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 24
            for (std::size_t k = 0; k < chains; ++k) acc[k] = step(acc[k], a);
            asm volatile("" : "+v"(a));  // not hoisted
        }
        for (std::size_t k = 0; k < chains; ++k) benchmark::DoNotOptimize(acc[k]);
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(products * chains * rounds * state.iterations()) * 1e-9,
                                                   benchmark::Counter::kIsRate);
}
#if defined(__AVX512BF16__)
void BM_bf16_peak(benchmark::State& state) {
    dot_peak(state, 32, _mm512_set1_ps(1.0f), [](__m512 acc, __m512i a) {
        return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)a);  // NOLINT: a vector cast
    });
}
BENCHMARK(BM_bf16_peak);
#endif
#if defined(__AVX512VNNI__)
void BM_int8_peak(benchmark::State& state) {
    dot_peak(state, 64, _mm512_set1_epi32(1), [](__m512i acc, __m512i a) { return _mm512_dpbusd_epi32(acc, a, a); });
}
BENCHMARK(BM_int8_peak);
#endif

void BM_floor_fp32(benchmark::State& state) {
    const auto net = bench::make_net();
    bench::stream_floor(state, net->parameters(), bench::Net::parameter_block_size);
}
BENCHMARK(BM_floor_fp32);

void BM_floor_bf16(benchmark::State& state) {
    const auto net = bench::make_net();
    std::vector<std::uint16_t> weights(ctnn::Bf16Model<bench::Net>::parameter_bytes / 2);
    bench::stream_floor(state, weights.data(), weights.size());
}
BENCHMARK(BM_floor_bf16);

void BM_floor_int8(benchmark::State& state) {
    std::vector<std::uint8_t> weights(ctnn::Int8Model<bench::Net>::parameter_bytes);
    bench::stream_floor(state, weights.data(), weights.size());
}
BENCHMARK(BM_floor_int8);

using bench::inputs;
using bench::report;

void BM_ctnn_fp32(benchmark::State& state) { bench::run_model(state, *bench::make_net()); }
BENCHMARK(BM_ctnn_fp32)->Arg(1)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");

void BM_ctnn_bf16(benchmark::State& state) {
    const auto model = std::make_unique<ctnn::Bf16Model<bench::Net>>(*bench::make_net());
    bench::run_model(state, *model);
}
BENCHMARK(BM_ctnn_bf16)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");

// Calibrated on 256 of the benchmark's inputs.
void BM_ctnn_int8(benchmark::State& state) {
    const auto model = std::make_unique<ctnn::Int8Model<bench::Net>>(*bench::make_net(), inputs(256));
    bench::run_model(state, *model);
}
BENCHMARK(BM_ctnn_int8)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");

#if defined(CTNN_BENCH_ONEDNN)
/// The MNIST network in oneDNN: three inner products (ReLU as a post-op), weights reordered
/// once into the layout oneDNN picks; in bf16, the input converted from f32 by a first step and
/// the last layer writing f32, as ctnn's Bf16Model takes and gives floats.
class OneDnnMlp : public bench::OneDnnSteps {
public:
    OneDnnMlp(const bench::Net& net, long batch, dt type) : OneDnnSteps(batch, 784, 10) {
        src_ = dnnl::memory({{batch, 784}, dt::f32, tag::nc}, engine_);
        dnnl::memory x = src_;
        if (type != dt::f32) {
            dnnl::memory converted({{batch, 784}, type, tag::nc}, engine_);
            add(dnnl::reorder(x, converted), {{DNNL_ARG_FROM, x}, {DNNL_ARG_TO, converted}});
            x = converted;
        }
        x = dense(x, net.layer<0>().weight.data(), net.layer<0>().bias.data(), 784, 256, type, type, true);
        x = dense(x, net.layer<2>().weight.data(), net.layer<2>().bias.data(), 256, 256, type, type, true);
        dst_ = dense(x, net.layer<4>().weight.data(), net.layer<4>().bias.data(), 256, 10, type, dt::f32, false);
    }

private:
    dnnl::memory dense(const dnnl::memory& in, const float* weight, const float* bias, long n_in, long n_out, dt type,
                       dt out_type, bool with_relu) {
        const dnnl::memory::desc w_md({n_out, n_in}, type, tag::any), b_md({n_out}, dt::f32, tag::x);
        const dnnl::memory::desc dst_md({batch_, n_out}, out_type, tag::nc);
        const dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, in.get_desc(), w_md, b_md, dst_md);
        const dnnl::primitive_attr attr = with_relu ? relu() : dnnl::primitive_attr();
        const dnnl::inner_product_forward::primitive_desc pd(d, attr, engine_);
        dnnl::memory user({{n_out, n_in}, dt::f32, tag::oi}, engine_, const_cast<float*>(weight));
        dnnl::memory w(pd.weights_desc(), engine_);
        dnnl::reorder(user, w).execute(stream_, user, w);
        dnnl::memory b(b_md, engine_);
        std::copy_n(bias, n_out, static_cast<float*>(b.get_data_handle()));
        stream_.wait();
        dnnl::memory dst(pd.dst_desc(), engine_);
        add(dnnl::inner_product_forward(pd),
            {{DNNL_ARG_SRC, in}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst}});
        return dst;
    }
};

// oneDNN against ctnn's outputs first (the same network, within the precision's tolerance).
void run_onednn(benchmark::State& state, dnnl::memory::data_type type, float tolerance) {
    const auto batch = std::size_t(state.range(0));
    const auto net = bench::make_net();
    const auto x = inputs(batch);
    std::vector<float> y(batch * 10), expected(batch * 10);
    ctnn::InferenceScratch<bench::Net> scratch(batch);
    net->forward(x, expected, scratch);
    std::unique_ptr<OneDnnMlp> made;
    try {
        made = std::make_unique<OneDnnMlp>(*net, long(batch), type);
    } catch (const dnnl::error& e) {  // no bf16 implementation without AVX512_BF16 or AMX
        state.SkipWithError((std::string("oneDNN has no implementation for this CPU: ") + e.what()).c_str());
        return;
    }
    OneDnnMlp& dnn = *made;
    dnn.run(x.data(), y.data());
    for (std::size_t i = 0; i < y.size(); ++i)
        if (std::abs(y[i] - expected[i]) > tolerance * (1 + std::abs(expected[i]))) {
            state.SkipWithError("oneDNN's outputs differ from ctnn's: the baseline is not the same network");
            return;
        }
    for (auto _ : state) {
        dnn.run(x.data(), y.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    report(state, batch);
}

void BM_onednn_fp32(benchmark::State& state) { run_onednn(state, dnnl::memory::data_type::f32, 1e-4f); }
BENCHMARK(BM_onednn_fp32)->Arg(1)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");

void BM_onednn_bf16(benchmark::State& state) { run_onednn(state, dnnl::memory::data_type::bf16, 0.05f); }
BENCHMARK(BM_onednn_bf16)->Arg(1)->Arg(8)->Arg(100)->Arg(1000)->ArgName("batch");
#endif

}  // namespace

int main(int argc, char** argv) {
#if defined(CTNN_BENCH_ONEDNN)
    bench::one_onednn_thread(argv);
#endif
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
