// Optimizers: PyTorch's update rules on hand-checkable cases, and a fit that must converge.
#include <ctnn/ctnn.hpp>
#include <cmath>
#include <memory>
#include "support.hpp"

using Net = ctnn::Seq<ctnn::Linear<2, 1>>;

TEST_CASE("SGD without momentum is p -= lr * g", "[optim]") {
    Net net;
    ctnn::Gradients<Net> g;
    net.layer<0>().weight(0, 0) = 1.0f;
    g.layer<0>().weight(0, 0) = 0.5f;
    g.layer<0>().bias[0] = -2.0f;
    ctnn::optim::Sgd<Net> sgd({.lr = 0.1f});
    sgd.step(net, g);
    REQUIRE(net.layer<0>().weight(0, 0) == Approx(0.95f));
    REQUIRE(net.layer<0>().bias[0] == Approx(0.2f));
}

TEST_CASE("SGD momentum keeps a velocity; its first step equals plain SGD", "[optim]") {
    Net net;
    ctnn::Gradients<Net> g;
    g.layer<0>().bias[0] = 1.0f;
    ctnn::optim::Sgd<Net> sgd({.lr = 0.1f, .momentum = 0.9f});
    sgd.step(net, g);
    REQUIRE(net.layer<0>().bias[0] == Approx(-0.1f));
    sgd.step(net, g);  // buf = 0.9 * 1 + 1 = 1.9
    REQUIRE(net.layer<0>().bias[0] == Approx(-0.1f - 0.19f));
}

TEST_CASE("Adam's first step moves each parameter by lr against its gradient's sign", "[optim]") {
    Net net;
    ctnn::Gradients<Net> g;
    g.layer<0>().weight(0, 0) = 1e-3f;
    g.layer<0>().weight(0, 1) = -50.0f;
    ctnn::optim::Adam<Net> adam;  // PyTorch defaults
    REQUIRE(adam.options().lr == 1e-3f);
    REQUIRE(adam.options().beta2 == 0.999f);
    adam.step(net, g);
    REQUIRE(net.layer<0>().weight(0, 0) == Approx(-1e-3f).epsilon(1e-4));
    REQUIRE(net.layer<0>().weight(0, 1) == Approx(1e-3f).epsilon(1e-4));
    REQUIRE(net.layer<0>().bias[0] == 0.0f);  // zero gradient, zero moments: no move
    REQUIRE(adam.steps() == 1);
}

TEST_CASE("Adam fits a linear regression", "[optim]") {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(*net, rng);
    constexpr std::size_t batch = 32;
    std::vector<float> x(batch * 2), y(batch), dy(batch);
    for (std::size_t r = 0; r < batch; ++r) {
        x[2 * r] = float(rng.uniform(-1, 1));
        x[2 * r + 1] = float(rng.uniform(-1, 1));
        y[r] = 3.0f * x[2 * r] - 2.0f * x[2 * r + 1] + 0.5f;
    }
    ctnn::Workspace<Net> ws(batch);
    ctnn::Gradients<Net> g;
    ctnn::optim::Adam<Net> adam({.lr = 0.05f});
    float loss = 0;
    for (int step = 0; step < 1000; ++step) {
        loss = ctnn::loss::mse(net->train_forward(x, ws), y, dy);
        g.zero();
        net->backward(x, dy, ws, g);
        adam.step(*net, g);
    }
    REQUIRE(loss < 1e-6f);
    REQUIRE(net->layer<0>().weight(0, 0) == Approx(3.0f).epsilon(1e-3));
    REQUIRE(net->layer<0>().weight(0, 1) == Approx(-2.0f).epsilon(1e-3));
    REQUIRE(net->layer<0>().bias[0] == Approx(0.5f).epsilon(1e-3));
}
