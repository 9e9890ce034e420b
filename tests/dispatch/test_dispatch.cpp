// Run-time dispatch: this program is compiled for generic x86-64, its inference for SSE2, AVX2,
// AVX-512 and, for the bf16 and int8 models, AVX-512 with VNNI and BF16 (cmake/CtnnDispatch.cmake);
// the chosen path must compute what the SSE2 build of the same model computes.
#include <ctnn/model/dispatch.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <vector>
#include "dispatch_net.hpp"

namespace {

std::unique_ptr<DispatchNet> random_net() {
    auto net = std::make_unique<DispatchNet>();
    ctnn::Rng rng(11);
    ctnn::init::pytorch_default(*net, rng);
    return net;
}

std::vector<float> random_inputs(std::size_t n, std::uint64_t seed) {
    ctnn::Rng rng(seed);
    std::vector<float> x(n);
    for (auto& v : x) v = float(rng.uniform(-2, 2));
    return x;
}

/// `dispatched` and `sse2` give the same outputs within `tolerance` (relative to the largest
/// output), one sample at a time and in a batch.
template <class Dispatched, class Reference>
void require_agree(const Dispatched& dispatched, const Reference& sse2, float tolerance) {
    constexpr std::size_t batch = 9;
    const std::vector<float> xs = random_inputs(batch * 37, 5);
    std::vector<float> ys(batch * 5), ys_sse2(batch * 5);
    ctnn::InferenceScratch<DispatchNet> scratch(batch);
    dispatched.forward(xs, ys, scratch);
    sse2.forward(xs, ys_sse2, scratch);
    float range = 0;
    for (float v : ys_sse2) range = std::max(range, std::abs(v));
    for (std::size_t i = 0; i < ys.size(); ++i) {
        CAPTURE(i, ys[i], ys_sse2[i]);
        REQUIRE(std::abs(ys[i] - ys_sse2[i]) <= tolerance * range);
    }
    for (std::size_t r = 0; r < batch; ++r) {
        std::array<float, 37> x;
        std::copy_n(xs.begin() + std::ptrdiff_t(r * 37), 37, x.begin());
        const auto y = dispatched.forward(x);
        for (std::size_t o = 0; o < 5; ++o) {
            CAPTURE(r, o, y[o], ys_sse2[r * 5 + o]);
            REQUIRE(std::abs(y[o] - ys_sse2[r * 5 + o]) <= tolerance * range);
        }
    }
}

/// The instruction set the CPU's best fp32 path is: what the reduced-precision models pick
/// too, unless the CPU also has AVX-512 VNNI and BF16.
const char* best_fp32() {
    const auto cpu = xsimd::available_architectures();
    return cpu.avx512bw ? "avx512bw" : (cpu.fma3_avx2 ? "fma3+avx2" : "sse2");
}

}  // namespace

TEST_CASE("dispatched inference picks the CPU's best instruction set and agrees with SSE2", "[dispatch]") {
    const auto net = random_net();
    const ctnn::DispatchedInference<DispatchNet> infer(*net);
    std::printf("fp32: dispatch chose %s\n", infer.arch_name());
    REQUIRE(std::strcmp(infer.arch_name(), best_fp32()) == 0);
    require_agree(infer, ctnn::ModelView<DispatchNet, xsimd::sse2>(*net), 1e-5f);
}

TEST_CASE("dispatched bf16 and int8 models pick AVX-512 VNNI+BF16 where the CPU has it and agree with SSE2",
          "[dispatch][bf16][int8]") {
    const auto net = random_net();
    const bool vnni_bf16 = xsimd::available_architectures().avx512bw && __builtin_cpu_supports("avx512vnni") &&
                           __builtin_cpu_supports("avx512bf16");
    const char* expected = vnni_bf16 ? "avx512bw+vnni+bf16" : best_fp32();

    const ctnn::Bf16Model<DispatchNet, xsimd::sse2> half(*net);
    const ctnn::DispatchedInference half_infer(half);  // DispatchedInference<DispatchNet, precision::bf16>
    std::printf("bf16: dispatch chose %s\n", half_infer.arch_name());
    REQUIRE(std::strcmp(half_infer.arch_name(), expected) == 0);
    // Sums of bf16 products in another order (vdpbf16ps pairs them), each output rounded to bf16.
    require_agree(half_infer, half, 0x1p-6f);

    const std::vector<float> calibration = random_inputs(200 * 37, 3);
    const ctnn::Int8Model<DispatchNet, xsimd::sse2> q(*net, calibration);
    const ctnn::DispatchedInference<DispatchNet, ctnn::precision::int8> q_infer(q);
    std::printf("int8: dispatch chose %s\n", q_infer.arch_name());
    REQUIRE(std::strcmp(q_infer.arch_name(), expected) == 0);
    // The int32 sums are exact on every instruction set; only their fp32 epilogue differs.
    require_agree(q_infer, q, 1e-5f);
}
