#pragma once
// The MNIST network (784-256-256-10, ReLU) the inference benchmarks run, and its parameters.
#include <ctnn/ctnn.hpp>
#include <memory>

namespace bench {

using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
inline constexpr double flops_per_sample = 2.0 * (784 * 256 + 256 * 256 + 256 * 10);

inline std::unique_ptr<Net> make_net() {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(*net, rng);
    return net;
}

}  // namespace bench
