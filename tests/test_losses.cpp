// Losses: values and gradients as torch.nn.CrossEntropyLoss / MSELoss / BCEWithLogitsLoss define
// them; the loss objects of the training loop, and their mean_over divisor.
#include <ctnn/loss/bce.hpp>
#include <ctnn/loss/cross_entropy.hpp>
#include <ctnn/loss/loss.hpp>
#include <ctnn/loss/mse.hpp>
#include <cmath>
#include <cstdint>
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

// Values from python3-torch 1.13 (Debian 12), float32:
//   x = torch.tensor([-3.0, -0.5, 0.0, 0.25, 2.0, 7.5, -20.0, 40.0], requires_grad=True)
//   t = torch.tensor([0.0, 1.0, 0.5, 1.0, 0.0, 1.0, 0.25, 0.9])
//   l = torch.nn.BCEWithLogitsLoss()(x, t); l.backward(); print(repr(l.item()), x.grad.tolist())
namespace {
const std::vector<float> bce_logits{-3.0f, -0.5f, 0.0f, 0.25f, 2.0f, 7.5f, -20.0f, 40.0f};
const std::vector<float> bce_targets{0.0f, 1.0f, 0.5f, 1.0f, 0.0f, 1.0f, 0.25f, 0.9f};
constexpr double torch_bce_loss = 1.6774041652679443;
const std::vector<float> torch_bce_grad{0.0059282342f, -0.0778074116f, 0.0f, -0.0547279343f, 0.110099629f, -6.9104135e-05f, -0.03125f, 0.012500003f};
}  // namespace

TEST_CASE("binary cross-entropy on logits equals PyTorch's BCEWithLogitsLoss", "[losses]") {
    std::vector<float> grad(bce_logits.size());
    const float loss = ctnn::loss::bce_with_logits(bce_logits, bce_targets, grad);
    REQUIRE(loss == Approx(torch_bce_loss).epsilon(1e-6));
    // 2e-8 absolute: PyTorch's float32 sigmoid(7.5) - 1 cancels to a few digits; ours is exact.
    test::require_close(grad, torch_bce_grad, 1e-6, 2e-8, "bce gradient");
}

TEST_CASE("binary cross-entropy's gradient is its finite difference", "[losses]") {
    const auto x = test::random_vector(12, 8, 4.0);
    const auto t01 = test::random_vector(12, 9, 1.0);
    std::vector<float> t(12), grad(12);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::abs(t01[i]);
    ctnn::loss::bce_with_logits(x, t, grad);
    for (std::size_t i = 0; i < x.size(); ++i) {
        CAPTURE(i);
        const float h = 1e-2f;
        auto plus = x, minus = x;
        plus[i] += h;
        minus[i] -= h;
        const double fd = (double(ctnn::loss::bce_with_logits(plus, t)) - ctnn::loss::bce_with_logits(minus, t)) / (2 * h);
        REQUIRE(grad[i] == Approx(fd).epsilon(2e-3).margin(1e-5));
    }
}

TEST_CASE("binary cross-entropy is finite and exact for huge logits", "[losses]") {
    const std::vector<float> x{1e30f, -1e30f, 100.0f, -100.0f}, t{1.0f, 0.0f, 0.0f, 1.0f};
    std::vector<float> grad(4);
    const float loss = ctnn::loss::bce_with_logits(x, t, grad);
    REQUIRE(std::isfinite(loss));
    REQUIRE(loss == Approx((0.0 + 0.0 + 100.0 + 100.0) / 4));  // the first two are right, the others 100 off
    REQUIRE(grad[0] == 0.0f);
    REQUIRE(grad[1] == 0.0f);
    REQUIRE(grad[2] == Approx(0.25f));
    REQUIRE(grad[3] == Approx(-0.25f));
}

TEST_CASE("loss objects give the free functions' values and take labels of any integer type", "[losses]") {
    const std::vector<float> logits{1.0f, 2.0f, 3.0f, 0.5f, -1.0f, 0.0f};
    const float reference = ctnn::loss::softmax_cross_entropy<3, int>(logits, std::vector<int>{2, 0});
    const ctnn::loss::SoftmaxCrossEntropy ce;
    std::vector<float> grad(6);
    REQUIRE(ce.value_and_gradient<3>(logits, std::span<const std::uint8_t>(std::vector<std::uint8_t>{2, 0}), grad) ==
            reference);
    REQUIRE(ce.value_and_gradient<3>(logits, std::span<const std::int64_t>(std::vector<std::int64_t>{2, 0}), grad) ==
            reference);
    REQUIRE(ce.value_and_gradient<3>(logits, std::span<const short>(std::vector<short>{2, 0}), grad) == reference);
    STATIC_REQUIRE(ctnn::loss::LossFor<ctnn::loss::SoftmaxCrossEntropy, 3, std::uint16_t>);
    STATIC_REQUIRE_FALSE(ctnn::loss::LossFor<ctnn::loss::SoftmaxCrossEntropy, 3, float>);
    STATIC_REQUIRE(ctnn::loss::LossFor<ctnn::loss::MeanSquaredError, 3, float>);
    STATIC_REQUIRE_FALSE(ctnn::loss::LossFor<ctnn::loss::MeanSquaredError, 3, int>);
    STATIC_REQUIRE(ctnn::loss::LossFor<ctnn::loss::BceWithLogits, 3, float>);
    STATIC_REQUIRE(ctnn::loss::SoftmaxCrossEntropy::targets_per_sample(10) == 1);
    STATIC_REQUIRE(ctnn::loss::MeanSquaredError::targets_per_sample(10) == 10);

    const ctnn::loss::MeanSquaredError mse;
    const std::vector<float> p{1.0f, 2.0f, 3.0f, 4.0f}, t{1.0f, 0.0f, 3.0f, 5.0f};
    REQUIRE(mse.value_and_gradient<2>(p, std::span<const float>(t), std::span(grad).first(4)) == ctnn::loss::mse(p, t));
    const ctnn::loss::BceWithLogits bce;
    REQUIRE(bce.value_and_gradient<4>(bce_logits, std::span<const float>(bce_targets), {}) ==
            ctnn::loss::bce_with_logits(bce_logits, bce_targets));
}

TEST_CASE("with mean_over, the losses of a batch's parts add up to the batch's loss", "[losses]") {
    // Two samples of two outputs, split into one-sample shares scaled by the whole batch.
    const std::vector<float> y{0.3f, -1.2f, 2.0f, 0.7f}, t{0.0f, 1.0f, 1.0f, 0.5f};
    auto check = [&](const auto& loss, std::span<const float> targets, std::size_t per_sample) {
        std::vector<float> whole(4), parts(4);
        const float all = loss.template value_and_gradient<2>(y, targets, whole);
        const float first = loss.template value_and_gradient<2>(std::span(y).first(2), targets.first(per_sample),
                                                                std::span(parts).first(2), 2);
        const float second = loss.template value_and_gradient<2>(std::span(y).last(2), targets.last(per_sample),
                                                                 std::span(parts).last(2), 2);
        REQUIRE(first + second == Approx(all).epsilon(1e-6));
        test::require_close(parts, whole, 1e-6, 1e-9, "share gradients");
    };
    check(ctnn::loss::MeanSquaredError{}, t, 2);
    check(ctnn::loss::BceWithLogits{}, t, 2);
    const std::vector<long> labels{1, 0};
    std::vector<float> whole(4), parts(4);
    const ctnn::loss::SoftmaxCrossEntropy ce;
    const float all = ce.value_and_gradient<2>(y, std::span<const long>(labels), whole);
    const float a = ce.value_and_gradient<2>(std::span(y).first(2), std::span<const long>(labels).first(1),
                                             std::span(parts).first(2), 2);
    const float b = ce.value_and_gradient<2>(std::span(y).last(2), std::span<const long>(labels).last(1),
                                             std::span(parts).last(2), 2);
    REQUIRE(a + b == Approx(all).epsilon(1e-6));
    test::require_close(parts, whole, 1e-6, 1e-9, "share gradients");
}
