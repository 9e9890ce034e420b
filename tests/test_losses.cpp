// Losses: values and gradients as torch.nn.CrossEntropyLoss / MSELoss define them.
#include <ctnn/loss/cross_entropy.hpp>
#include <ctnn/loss/mse.hpp>
#include <cmath>
#include <vector>
#include "support.hpp"

TEST_CASE("softmax cross-entropy is the batch mean of -log softmax at the label", "[losses]") {
    const std::vector<float> logits{1.0f, 2.0f, 3.0f, 0.5f, -1.0f, 0.0f};
    const std::vector<int> labels{2, 0};
    std::vector<float> grad(6);
    const float loss = ctnn::loss::softmax_cross_entropy<3, int>(logits, labels, grad);
    auto nll = [](double a, double b, double c, double at) { return std::log(std::exp(a) + std::exp(b) + std::exp(c)) - at; };
    const double expected = (nll(1, 2, 3, 3) + nll(0.5, -1, 0, 0.5)) / 2;
    REQUIRE(loss == Approx(expected).epsilon(1e-6));
    // Gradient: (softmax - onehot) / batch; each row sums to zero.
    const double s0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    REQUIRE(grad[0] == Approx(std::exp(1.0) / s0 / 2).epsilon(1e-6));
    REQUIRE(grad[2] == Approx((std::exp(3.0) / s0 - 1) / 2).epsilon(1e-6));
    REQUIRE(grad[0] + grad[1] + grad[2] == Approx(0).margin(1e-7));
    REQUIRE(grad[3] + grad[4] + grad[5] == Approx(0).margin(1e-7));
}

TEST_CASE("softmax cross-entropy is stable for huge logits", "[losses]") {
    const std::vector<float> logits{1e4f, 0.0f, -1e4f, 3e38f, 3e38f, -1e38f};
    const std::vector<unsigned char> labels{0, 1};
    std::vector<float> grad(6);
    const float loss = ctnn::loss::softmax_cross_entropy<3, unsigned char>(logits, labels, grad);
    REQUIRE(std::isfinite(loss));
    for (float g : grad) REQUIRE(std::isfinite(g));
    REQUIRE(grad[0] == Approx(0).margin(1e-7));  // the first row is already right
    REQUIRE(loss == Approx(std::log(2.0) / 2));  // the second row: two equal maxima
}

TEST_CASE("softmax cross-entropy without a gradient buffer only evaluates", "[losses]") {
    const std::vector<float> logits{0.0f, 0.0f, 0.0f, 0.0f};
    const std::vector<int> labels{3};
    REQUIRE(ctnn::loss::softmax_cross_entropy<4, int>(logits, labels) == Approx(std::log(4.0)));
}

TEST_CASE("mean squared error averages over every element", "[losses]") {
    const std::vector<float> p{1.0f, 2.0f, 3.0f, 4.0f}, t{1.0f, 0.0f, 3.0f, 5.0f};
    std::vector<float> grad(4);
    REQUIRE(ctnn::loss::mse(p, t, grad) == Approx((4.0 + 1.0) / 4));
    const std::vector<float> expected{0.0f, 1.0f, 0.0f, -0.5f};
    test::require_close(grad, expected, 1e-6, 1e-7, "mse gradient");
}
