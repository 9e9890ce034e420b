#include <ctnn/model/dispatch.hpp>
#include <cstdio>
#include <memory>
#include "net.hpp"

int main() {
    auto net = std::make_unique<ConsumerNet>();
    ctnn::Rng rng(3);
    ctnn::init::xavier_uniform(*net, rng);
    const ctnn::DispatchedInference<ConsumerNet> infer(*net);
    std::array<float, 4> x{1, 2, 3, 4};
    std::array<float, 3> y{}, expected{};
    infer.forward(x, y);
    net->forward(x, expected);
    const bool same = std::abs(y[0] - expected[0]) < 1e-5f && std::abs(y[2] - expected[2]) < 1e-5f;
    std::printf("consumer dispatch %s on %s\n", same ? "ok" : "MISMATCH", infer.arch_name());
    return same ? 0 : 1;
}
