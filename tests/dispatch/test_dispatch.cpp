// Run-time dispatch: this program is compiled for generic x86-64, its inference for SSE2, AVX2
// and AVX-512 (cmake/CtnnDispatch.cmake); the chosen path must compute what the others do.
#include <ctnn/model/dispatch.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>
#include "dispatch_net.hpp"

TEST_CASE("dispatched inference picks the CPU's best instruction set and agrees with SSE2", "[dispatch]") {
    auto net = std::make_unique<DispatchNet>();
    ctnn::Rng rng(11);
    ctnn::init::pytorch_default(*net, rng);
    const ctnn::DispatchedInference<DispatchNet> infer(*net);
    const ctnn::ModelView<DispatchNet, xsimd::sse2> sse2(*net);
    const auto cpu = xsimd::available_architectures();
    const char* expected = cpu.avx512bw ? "avx512bw" : (cpu.fma3_avx2 ? "fma3+avx2" : "sse2");
    std::printf("dispatch chose %s\n", infer.arch_name());
    REQUIRE(std::strcmp(infer.arch_name(), expected) == 0);

    std::array<float, 37> x;
    std::array<float, 5> y, y_sse2;
    for (int s = 0; s < 100; ++s) {
        for (auto& v : x) v = float(rng.uniform(-2, 2));
        infer.forward(x, y);
        sse2.forward(x, y_sse2);
        for (int i = 0; i < 5; ++i) REQUIRE(y[i] == Approx(y_sse2[i]).epsilon(1e-5).margin(1e-6));
    }
    // The batch call dispatches too.
    constexpr std::size_t batch = 9;
    std::vector<float> xs(batch * 37), ys(batch * 5), ys_sse2(batch * 5);
    for (auto& v : xs) v = float(rng.uniform(-2, 2));
    ctnn::InferenceScratch<DispatchNet> scratch(batch);
    infer.forward(xs, ys, scratch);
    sse2.forward(xs, ys_sse2, scratch);
    for (std::size_t i = 0; i < ys.size(); ++i) REQUIRE(ys[i] == Approx(ys_sse2[i]).epsilon(1e-5).margin(1e-6));
}
