#pragma once
// The MNIST network (784-256-256-10, ReLU, mnist_net.hpp) and a hand-written Eigen fixed-size
// baseline of it, with the same parameters.
// The baseline object lives on the heap (make_unique); lift Eigen's guard against 800 KB on the stack.
#define EIGEN_STACK_ALLOCATION_LIMIT 0
#include <Eigen/Core>
#include <ctnn/ctnn.hpp>
#include <memory>
#include "mnist_net.hpp"

namespace bench {

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
