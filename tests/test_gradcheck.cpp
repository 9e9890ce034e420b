// Gradients from backward against central finite differences of a double-precision evaluation
// of the same network and loss, for every layer type and both losses.
// Tolerance: |analytic - numeric| <= 1e-4 + 2e-3 |numeric| (the analytic side is float).
#include <ctnn/ctnn.hpp>
#include <memory>
#include "reference_net.hpp"
#include "support.hpp"
#include "user_layer/user_layer.hpp"

using ctnn::Linear;
using ctnn::Seq;

namespace {

double ce_double(const std::vector<double>& z, const std::vector<int>& labels, std::size_t classes) {
    double total = 0;
    for (std::size_t r = 0; r < labels.size(); ++r) {
        double m = z[r * classes];
        for (std::size_t c = 1; c < classes; ++c) m = std::max(m, z[r * classes + c]);
        double s = 0;
        for (std::size_t c = 0; c < classes; ++c) s += std::exp(z[r * classes + c] - m);
        total += std::log(s) + m - z[r * classes + labels[r]];
    }
    return total / double(labels.size());
}

double mse_double(const std::vector<double>& z, const std::vector<float>& target) {
    double total = 0;
    for (std::size_t i = 0; i < z.size(); ++i) total += (z[i] - target[i]) * (z[i] - target[i]);
    return total / double(z.size());
}

enum class Loss { cross_entropy, mse };

template <class Net>
void gradcheck(Loss loss, std::uint64_t seed) {
    constexpr std::size_t batch = 3;
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(seed);
    ctnn::init::xavier_normal(*net, rng, 1.5);
    const auto x = test::random_vector(batch * Net::in_size, seed + 1, 1.5);
    std::vector<int> labels(batch);
    for (std::size_t r = 0; r < batch; ++r) labels[r] = int((r * 7 + seed) % Net::out_size);
    const auto target = test::random_vector(batch * Net::out_size, seed + 2);

    // Training mode: BatchNorm's batch statistics, Dropout's masks of the workspace's first step.
    auto loss_of = [&](const std::vector<double>& p, const std::vector<double>& xd) {
        const auto z = test::reference_forward_double<Net>(p, xd, batch, true, ctnn::TrainingStep{});
        return loss == Loss::cross_entropy ? ce_double(z, labels, Net::out_size) : mse_double(z, target);
    };

    // Analytic, from ctnn.
    ctnn::Workspace<Net> ws(batch);
    ctnn::Gradients<Net> grads;
    std::vector<float> dlogits(batch * Net::out_size), dx(batch * Net::in_size);
    const auto logits = net->train_forward(x, ws);
    if (loss == Loss::cross_entropy)
        ctnn::loss::softmax_cross_entropy<Net::out_size, int>(logits, labels, dlogits);
    else
        ctnn::loss::mse(logits, target, dlogits);
    grads.zero();
    net->backward(x, dlogits, ws, grads, dx);

    // Numeric, in double.
    std::vector<double> p(net->parameters(), net->parameters() + Net::parameter_block_size);
    std::vector<double> xd(x.begin(), x.end());
    // d(loss)/d(v[i]) by central differences, v being the parameters or the input.
    auto central_difference = [&](std::vector<double>& v, std::size_t i) {
        const double h = 1e-6, saved = v[i];
        v[i] = saved + h;
        const double up = loss_of(p, xd);
        v[i] = saved - h;
        const double down = loss_of(p, xd);
        v[i] = saved;
        return float((up - down) / (2 * h));
    };
    std::vector<float> numeric, analytic;
    for (const auto& t : Net::tensors)
        for (std::size_t j = 0; j < t.info.size(); ++j) {
            numeric.push_back(central_difference(p, t.offset + j));
            analytic.push_back(grads.data()[t.offset + j]);
        }
    test::require_close(analytic, numeric, 2e-3, 1e-4, "parameter gradients");

    std::vector<float> numeric_dx;
    for (std::size_t i = 0; i < xd.size(); ++i) numeric_dx.push_back(central_difference(xd, i));
    test::require_close(dx, numeric_dx, 2e-3, 1e-4, "input gradients");
}

}  // namespace

TEST_CASE("Linear gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<5, 4>>>(Loss::mse, 1);
    gradcheck<Seq<Linear<17, 3>, Linear<3, 33>>>(Loss::cross_entropy, 2);
}

TEST_CASE("ReLU gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::ReLU, Linear<9, 4>>>(Loss::cross_entropy, 3);
    gradcheck<Seq<Linear<6, 9>, ctnn::ReLU, Linear<9, 4>, ctnn::ReLU>>(Loss::mse, 4);
}

TEST_CASE("LeakyReLU gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::LeakyReLU, Linear<9, 4>>>(Loss::cross_entropy, 5);
    gradcheck<Seq<Linear<6, 9>, ctnn::LeakyReLUSlope<1, 5>, Linear<9, 4>>>(Loss::mse, 6);
}

TEST_CASE("Sigmoid gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::Sigmoid, Linear<9, 4>>>(Loss::cross_entropy, 7);
    gradcheck<Seq<Linear<6, 9>, ctnn::Sigmoid>>(Loss::mse, 8);
}

TEST_CASE("Tanh gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::Tanh, Linear<9, 4>>>(Loss::cross_entropy, 9);
    gradcheck<Seq<Linear<6, 9>, ctnn::Tanh, ctnn::Sigmoid, Linear<9, 4>>>(Loss::mse, 10);
}

TEST_CASE("ELU gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::ELU, Linear<9, 4>>>(Loss::cross_entropy, 13);
    gradcheck<Seq<Linear<6, 9>, ctnn::ELUAlpha<1, 2>, ctnn::ELU, Linear<9, 4>>>(Loss::mse, 14);
}

TEST_CASE("a user's layer's gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<5, 4>, user::Scale<4>, ctnn::Tanh, Linear<4, 3>>>(Loss::mse, 15);
}

TEST_CASE("a deep mixed network's gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<13, 17>, ctnn::Sigmoid, Linear<17, 9>, ctnn::Tanh, Linear<9, 6>, ctnn::LeakyReLU,
                  Linear<6, 5>>>(Loss::cross_entropy, 11);
    gradcheck<Seq<Linear<40, 33>, ctnn::ReLU, Linear<33, 20>, ctnn::Tanh, Linear<20, 10>>>(Loss::mse, 12);
}

TEST_CASE("GELU, Softmax and a Linear without bias: gradients match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::GELU, Linear<9, 4>>>(Loss::cross_entropy, 16);
    gradcheck<Seq<Linear<6, 9, ctnn::NoBias>, ctnn::Tanh, Linear<9, 4, ctnn::NoBias>>>(Loss::mse, 17);
    gradcheck<Seq<Linear<6, 9>, ctnn::GELU, Linear<9, 5>, ctnn::Softmax>>(Loss::mse, 18);
    gradcheck<Seq<Linear<6, 7, ctnn::NoBias>, ctnn::Softmax, Linear<7, 4>>>(Loss::cross_entropy, 19);
}

TEST_CASE("PReLU gradients (one slope, one per value) match finite differences", "[gradcheck]") {
    gradcheck<Seq<Linear<6, 9>, ctnn::PReLU<>, Linear<9, 4>>>(Loss::cross_entropy, 20);
    gradcheck<Seq<Linear<6, 9>, ctnn::PReLU<9>, Linear<9, 4>>>(Loss::mse, 21);
}

TEST_CASE("Conv2D gradients match finite differences: padding, stride, dilation, groups, no bias", "[gradcheck][conv]") {
    using namespace ctnn;
    gradcheck<Seq<Input<2, 6, 7>, Conv2D<2, 3, 3>, Tanh, Flatten, Linear<60, 4>>>(Loss::cross_entropy, 30);
    gradcheck<Seq<Input<2, 7, 6>, Conv2D<2, 4, 3, Stride<2>, Padding<1>, NoBias>, Sigmoid, Conv2D<4, 4, 2, Groups<2>>,
                  Flatten, Linear<24, 3>>>(Loss::mse, 31);
    gradcheck<Seq<Input<3, 6, 6>, Conv2D<3, 3, 3, Groups<3>, SamePadding, Dilation<2>>, ELU,
                  Conv2D<3, 2, 2, KernelWidth<3>, SamePadding>, Flatten, Linear<72, 3>>>(Loss::cross_entropy, 32);
}

TEST_CASE("pooling, Flatten and GlobalAvgPool2D gradients match finite differences", "[gradcheck][conv]") {
    using namespace ctnn;
    gradcheck<Seq<Input<2, 6, 6>, Conv2D<2, 3, 3, Padding<1>>, MaxPool2D<2>, Tanh, Flatten, Linear<27, 4>>>(
        Loss::cross_entropy, 33);
    gradcheck<Seq<Input<2, 7, 7>, AvgPool2D<3, Stride<2>, Padding<1>>, Conv2D<2, 3, 1>, Sigmoid,
                  MaxPool2D<3, Stride<1>, Padding<1>>, GlobalAvgPool2D, Flatten, Linear<3, 2>>>(Loss::mse, 34);
}

TEST_CASE("BatchNorm2d and BatchNorm1d gradients in training mode match finite differences",
          "[gradcheck][batchnorm]") {
    using namespace ctnn;
    gradcheck<Seq<Input<2, 5, 4>, Conv2D<2, 3, 3, Padding<1>, NoBias>, BatchNorm2d<3>, Tanh, Flatten, Linear<60, 4>>>(
        Loss::cross_entropy, 40);
    gradcheck<Seq<Linear<6, 9>, BatchNorm1d<9>, Sigmoid, Linear<9, 4>>>(Loss::mse, 41);
    gradcheck<Seq<Input<3, 7>, BatchNorm1d<3>, Flatten, Linear<21, 3>>>(Loss::cross_entropy, 42);
}

TEST_CASE("Dropout and Dropout2d gradients (the masks of one step) match finite differences",
          "[gradcheck][dropout]") {
    using namespace ctnn;
    gradcheck<Seq<Linear<6, 40>, Dropout<30>, Tanh, Linear<40, 4>>>(Loss::cross_entropy, 43);
    gradcheck<Seq<Input<4, 3, 3>, Conv2D<4, 8, 1>, Dropout2d<1, 2>, Flatten, Linear<72, 3>>>(Loss::mse, 44);
}

TEST_CASE("Conv1D gradients match finite differences: padding, same, stride, dilation, groups, no bias",
          "[gradcheck][conv1d]") {
    using namespace ctnn;
    gradcheck<Seq<Input<2, 9>, Conv1D<2, 3, 3, Padding<1>>, Tanh, Conv1D<3, 4, 2, SamePadding>, Flatten, Linear<36, 3>>>(
        Loss::cross_entropy, 50);
    gradcheck<Seq<Input<4, 11>, Conv1D<4, 4, 3, Stride<2>, Dilation<2>, Groups<2>, NoBias>, Sigmoid, Conv1D<4, 2, 1>,
                  Flatten, Linear<8, 2>>>(Loss::mse, 51);
    gradcheck<Seq<Input<2, 13>, Conv1D<2, 3, 2>, MaxPool1D<3, Stride<2>, Padding<1>>, Tanh, AvgPool1D<2>, Flatten,
                  Linear<9, 2>>>(Loss::cross_entropy, 52);
}

TEST_CASE("Residual gradients match finite differences: identity and Shortcut paths, a shorter main path, "
          "BatchNorm and Dropout inside, nested blocks",
          "[gradcheck][residual]") {
    using namespace ctnn;
    // A TCN block: the main path 4 steps shorter, the shortcut's last steps added.
    gradcheck<Seq<Input<2, 9>,
                  Residual<Conv1D<2, 3, 3, Dilation<2>>, PReLU<3>, BatchNorm1d<3>, Shortcut<Conv1D<2, 3, 1>>>, Tanh,
                  Residual<Conv1D<3, 3, 2, SamePadding>, Sigmoid>, Flatten, Linear<15, 3>>>(Loss::cross_entropy, 60);
    // Vectors: an MLP block, a Dropout inside, a block inside a block.
    gradcheck<Seq<Linear<5, 8>, Residual<Linear<8, 8>, Tanh, Dropout<25>, Linear<8, 8>>, ReLU,
                  Residual<Residual<Linear<8, 8>, Sigmoid>, Linear<8, 6>, Shortcut<Linear<8, 6, NoBias>>>,
                  Linear<6, 3>>>(Loss::mse, 61);
}

TEST_CASE("ConvTranspose1D gradients match finite differences: stride, padding, output padding, dilation, groups",
          "[gradcheck][conv_transpose]") {
    using namespace ctnn;
    gradcheck<Seq<Input<2, 5>, ConvTranspose1D<2, 3, 3, Stride<2>>, Tanh, ConvTranspose1D<3, 2, 2, Padding<1>>,
                  Flatten, Linear<20, 3>>>(Loss::cross_entropy, 70);
    gradcheck<Seq<Input<4, 4>, ConvTranspose1D<4, 4, 3, Stride<3>, Padding<1>, OutputPadding<2>, Groups<2>, NoBias>,
                  Sigmoid, ConvTranspose1D<4, 2, 2, Stride<2>, Dilation<3>, OutputPadding<1>>, Flatten, Linear<54, 2>>>(Loss::mse, 71);
}
