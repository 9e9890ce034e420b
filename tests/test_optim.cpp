// Optimizers: PyTorch's update rules on hand-checkable cases and against torch.optim.AdamW,
// the one protocol and its state interface, learning-rate schedules against
// torch.optim.lr_scheduler, and a fit that must converge.
#include <ctnn/ctnn.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
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

TEST_CASE("SGD momentum keeps a velocity, its first step equals plain SGD", "[optim]") {
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
    std::vector<float> x(batch * 2), y(batch);
    for (std::size_t r = 0; r < batch; ++r) {
        x[2 * r] = float(rng.uniform(-1, 1));
        x[2 * r + 1] = float(rng.uniform(-1, 1));
        y[r] = 3.0f * x[2 * r] - 2.0f * x[2 * r + 1] + 0.5f;
    }
    ctnn::train::StepBuffers<Net> buffers(batch);
    ctnn::optim::Adam<Net> adam({.lr = 0.05f});
    float loss = 0;
    for (int step = 0; step < 1000; ++step)
        loss = ctnn::train::step(*net, adam, ctnn::loss::MeanSquaredError{}, x, y, buffers);
    REQUIRE(loss < 1e-6f);
    REQUIRE(net->layer<0>().weight(0, 0) == Approx(3.0f).epsilon(1e-3));
    REQUIRE(net->layer<0>().weight(0, 1) == Approx(-2.0f).epsilon(1e-3));
    REQUIRE(net->layer<0>().bias[0] == Approx(0.5f).epsilon(1e-3));
}

TEST_CASE("Options structs construct from {}", "[optim]") {
    ctnn::optim::Adam<Net> adam({});
    ctnn::optim::AdamW<Net> adamw({});
    ctnn::optim::Sgd<Net> sgd({});
    REQUIRE(adam.options().weight_decay == 0.0f);
    REQUIRE(adamw.options().weight_decay == 0.01f);  // torch.optim.AdamW's default
    REQUIRE(sgd.options().lr == 0.01f);
    STATIC_REQUIRE(ctnn::optim::Optimizer<ctnn::optim::Adam<Net>, Net>);
    STATIC_REQUIRE(ctnn::optim::Optimizer<ctnn::optim::AdamW<Net>, Net>);
    STATIC_REQUIRE(ctnn::optim::Optimizer<ctnn::optim::Sgd<Net>, Net>);
}

// torch.optim.AdamW(lr=0.01, weight_decay=0.1) on a Linear(4, 2), three steps with fixed
// gradients, python3-torch 1.13 (Debian 12):
//   w = torch.nn.Parameter(torch.tensor([[0.5, -0.25, 1.0, -1.5], [0.1, 0.2, -0.3, 0.4]]))
//   b = torch.nn.Parameter(torch.tensor([0.05, -0.05]))
//   opt = torch.optim.AdamW([w, b], lr=0.01, weight_decay=0.1)
//   for k in (1, 2, 3):
//       w.grad = torch.tensor([[0.1 * k, -0.2, 0.3 / k, 0.0], [1.0, -1.0 * k, 0.01, 0.5]])
//       b.grad = torch.tensor([0.2 * k, -0.3]); opt.step()
//   print(w.flatten().tolist(), b.tolist(), opt.state[w]['exp_avg'].flatten().tolist(),
//         opt.state[w]['exp_avg_sq'].flatten().tolist())
namespace {
using Wide = ctnn::Seq<ctnn::Linear<4, 2>>;
const float torch_adamw_w[] = {0.469299346f, -0.219280735f, 0.968979001f, -1.4955045f, 0.0697302967f, 0.228602812f, -0.329070896f, 0.368831217f};
const float torch_adamw_b[] = {0.0206479598f, -0.0198801365f};
const float torch_adamw_exp_avg_w[] = {0.0561000034f, -0.0542000011f, 0.0478000045f, 0.0f, 0.270999998f, -0.56099999f, 0.00270999991f, 0.135499999f};
const float torch_adamw_exp_avg_sq_w[] = {0.000139940021f, 0.000119880046f, 0.000122297613f, 0.0f, 0.00299700117f, 0.0139940009f, 2.99700105e-07f, 0.000749250292f};
}  // namespace

TEST_CASE("AdamW equals torch.optim.AdamW: decoupled weight decay", "[optim]") {
    Wide net;
    const float w0[] = {0.5f, -0.25f, 1.0f, -1.5f, 0.1f, 0.2f, -0.3f, 0.4f};
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 4; ++i) net.layer<0>().weight(o, i) = w0[o * 4 + i];
    net.layer<0>().bias[0] = 0.05f;
    net.layer<0>().bias[1] = -0.05f;
    ctnn::optim::AdamW<Wide> adamw({.lr = 0.01f, .weight_decay = 0.1f});
    ctnn::Gradients<Wide> g;
    for (int k = 1; k <= 3; ++k) {
        const float gw[] = {0.1f * float(k), -0.2f, 0.3f / float(k), 0.0f, 1.0f, -1.0f * float(k), 0.01f, 0.5f};
        for (int o = 0; o < 2; ++o)
            for (int i = 0; i < 4; ++i) g.layer<0>().weight(o, i) = gw[o * 4 + i];
        g.layer<0>().bias[0] = 0.2f * float(k);
        g.layer<0>().bias[1] = -0.3f;
        adamw.step(net, g);
    }
    REQUIRE(adamw.steps() == 3);
    const auto state = std::as_const(adamw).state_blocks();
    REQUIRE(std::string(state[0].name) == "exp_avg");
    REQUIRE(std::string(state[1].name) == "exp_avg_sq");
    const auto m = Wide::layer_view<0>(state[0].values.data()), v = Wide::layer_view<0>(state[1].values.data());
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 4; ++i) {
            CAPTURE(o, i);
            REQUIRE(net.layer<0>().weight(o, i) == Approx(torch_adamw_w[o * 4 + i]).epsilon(1e-5).margin(1e-7));
            REQUIRE(m.weight(o, i) == Approx(torch_adamw_exp_avg_w[o * 4 + i]).epsilon(1e-5).margin(1e-9));
            // 1 - beta2 in float is 0.99998713e-3, torch's Python double 1e-3: 1.3e-5 relative.
            REQUIRE(v.weight(o, i) == Approx(torch_adamw_exp_avg_sq_w[o * 4 + i]).epsilon(3e-5).margin(1e-12));
        }
    REQUIRE(net.layer<0>().bias[0] == Approx(torch_adamw_b[0]).epsilon(1e-5));
    REQUIRE(net.layer<0>().bias[1] == Approx(torch_adamw_b[1]).epsilon(1e-5));
}

TEST_CASE("AdamW without gradients only shrinks the weights by 1 - lr * weight_decay", "[optim]") {
    Net net;
    net.layer<0>().weight(0, 0) = 2.0f;
    ctnn::Gradients<Net> zero;
    ctnn::optim::AdamW<Net> adamw({.lr = 0.1f, .weight_decay = 0.5f});
    adamw.step(net, zero);
    REQUIRE(net.layer<0>().weight(0, 0) == Approx(2.0f * 0.95f));
    ctnn::optim::Adam<Net> adam({.lr = 0.1f, .weight_decay = 0.5f});  // L2: a gradient of 1 here
    Net other;
    other.layer<0>().weight(0, 0) = 2.0f;
    adam.step(other, zero);
    REQUIRE(other.layer<0>().weight(0, 0) == Approx(2.0f - 0.1f).epsilon(1e-5));
}

TEST_CASE("Optimizer state is readable and restorable: a copy continues bit for bit", "[optim]") {
    using Mlp = ctnn::Seq<ctnn::Linear<3, 5>, ctnn::Tanh, ctnn::Linear<5, 2>>;
    const auto x = test::random_vector(8 * 3, 1), y = test::random_vector(8 * 2, 2);
    auto run = [&]<class Opt>(Opt& first, Opt& second) {
        Mlp a, b;
        ctnn::Rng rng(6);
        ctnn::init::pytorch_default(a, rng);
        ctnn::train::StepBuffers<Mlp> buffers(8);
        const ctnn::loss::MeanSquaredError mse;
        for (int s = 0; s < 4; ++s) ctnn::train::step(a, first, mse, x, y, buffers);
        // Restore into fresh objects through the documented interface, as a checkpoint would.
        std::memcpy(b.parameters(), a.parameters(), Mlp::parameter_block_size * sizeof(float));
        const auto saved = std::as_const(first).state_blocks();
        auto restored = second.state_blocks();
        REQUIRE(saved.size() == restored.size());
        for (std::size_t k = 0; k < saved.size(); ++k) {
            REQUIRE(std::string(saved[k].name) == restored[k].name);
            std::copy(saved[k].values.begin(), saved[k].values.end(), restored[k].values.begin());
        }
        second.set_steps(first.steps());
        for (int s = 0; s < 3; ++s) {
            ctnn::train::step(a, first, mse, x, y, buffers);
            ctnn::train::step(b, second, mse, x, y, buffers);
        }
        REQUIRE(std::memcmp(a.parameters(), b.parameters(), Mlp::parameter_block_size * sizeof(float)) == 0);
    };
    ctnn::optim::Adam<Mlp> adam1({.lr = 0.01f}), adam2({.lr = 0.01f});
    run(adam1, adam2);
    REQUIRE(adam1.steps() == 7);
    ctnn::optim::Sgd<Mlp> sgd1({.lr = 0.05f, .momentum = 0.9f}), sgd2({.lr = 0.05f, .momentum = 0.9f});
    run(sgd1, sgd2);
    REQUIRE(std::string(sgd1.state_blocks()[0].name) == "momentum_buffer");
    ctnn::optim::AdamW<Mlp> adamw1({}), adamw2({});
    run(adamw1, adamw2);
}

// torch.optim.lr_scheduler with lr 0.1 over epochs 0..6 (get_last_lr() after each step()):
//   StepLR(step_size=2, gamma=0.5): 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125
//   CosineAnnealingLR(T_max=4, eta_min=0.01): the values below
TEST_CASE("Learning-rate schedules follow torch.optim.lr_scheduler", "[optim][schedule]") {
    const ctnn::optim::StepLr step{.step_size = 2, .gamma = 0.5f};
    const float step_expected[] = {0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.0125f};
    const ctnn::optim::CosineLr cosine{.t_max = 4, .eta_min = 0.01f};
    const double cosine_expected[] = {0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01, 0.023180194846605363, 0.05500000000000002};
    for (std::size_t e = 0; e < 7; ++e) {
        CAPTURE(e);
        REQUIRE(step(e, 0.1f) == Approx(step_expected[e]).epsilon(1e-6));
        REQUIRE(cosine(e, 0.1f) == Approx(cosine_expected[e]).epsilon(1e-5));
    }
}
