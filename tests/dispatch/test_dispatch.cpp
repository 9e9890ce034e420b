// Run-time dispatch: this program is compiled for generic x86-64, its inference for SSE2, AVX2
// and AVX-512 (cmake/CtnnDispatch.cmake); the chosen path must compute what the others do.
#include <ctnn/model/dispatch.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <memory>
#include "dispatch_net.hpp"

TEST_CASE("dispatched inference picks the CPU's best instruction set and agrees with SSE2", "[dispatch]") {
    auto net = std::make_unique<DispatchNet>();
    ctnn::Rng rng(11);
    ctnn::init::pytorch_default(*net, rng);
    const ctnn::DispatchedInference<DispatchNet> infer;
    const auto cpu = xsimd::available_architectures();
    const char* expected = cpu.avx512bw ? "avx512bw" : (cpu.fma3_avx2 ? "fma3+avx2" : "sse2");
    std::printf("dispatch chose %s\n", infer.arch_name());
    REQUIRE(std::strcmp(infer.arch_name(), expected) == 0);

    std::array<float, 37> x;
    std::array<float, 5> y, y_sse2;
    for (int s = 0; s < 100; ++s) {
        for (auto& v : x) v = float(rng.uniform(-2, 2));
        infer(net->parameters(), x.data(), y.data());
        ctnn::InferOn<DispatchNet>{}(xsimd::sse2{}, net->parameters(), x.data(), y_sse2.data());
        for (int i = 0; i < 5; ++i) REQUIRE(y[i] == Approx(y_sse2[i]).epsilon(1e-5).margin(1e-6));
    }
}
