#pragma once
// The MNIST network (784-256-256-10, ReLU) three ways, with the same parameters: ctnn, a
// hand-written Eigen fixed-size baseline, and the raw weight block for the streaming floor.
// The baseline object lives on the heap (make_unique); lift Eigen's guard against 800 KB on the stack.
#define EIGEN_STACK_ALLOCATION_LIMIT 0
#include <Eigen/Core>
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

/// What a careful engineer writes by hand with Eigen's fixed-size types.
struct EigenMnist {
    template <int R, int C>
    using Mat = Eigen::Matrix<float, R, C, Eigen::RowMajor>;
    Mat<256, 784> w1;
    Eigen::Matrix<float, 256, 1> b1;
    Mat<256, 256> w2;
    Eigen::Matrix<float, 256, 1> b2;
    Mat<10, 256> w3;
    Eigen::Matrix<float, 10, 1> b3;

    explicit EigenMnist(const Net& net) {
        auto copy = [](auto& m, auto view) { std::copy(view.begin(), view.end(), m.data()); };
        copy(w1, net.layer<0>().weight.span());
        copy(b1, net.layer<0>().bias);
        copy(w2, net.layer<2>().weight.span());
        copy(b2, net.layer<2>().bias);
        copy(w3, net.layer<4>().weight.span());
        copy(b3, net.layer<4>().bias);
    }

    void forward(const Eigen::Matrix<float, 784, 1>& x, Eigen::Matrix<float, 10, 1>& y) const {
        const Eigen::Matrix<float, 256, 1> h1 = (w1 * x + b1).cwiseMax(0.0f);
        const Eigen::Matrix<float, 256, 1> h2 = (w2 * h1 + b2).cwiseMax(0.0f);
        y.noalias() = w3 * h2 + b3;
    }
};

}  // namespace bench
