// The layer protocol (core/layer.hpp) and the inference API every model shares
// (model/inference.hpp): what a layer declares, a user's own layer outside namespace ctnn, and
// forward/predict/probabilities over a Seq, a ModelView of another block and another ISA.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/layer_name.hpp>
#include <ctnn/io/safetensors.hpp>
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>
#include "support.hpp"
#include "user_layer/user_layer.hpp"

using ctnn::Linear;
using ctnn::Seq;

TEST_CASE("the Layer concept accepts layers and only layers", "[layers]") {
    STATIC_REQUIRE(ctnn::Layer<Linear<3, 2>>);
    STATIC_REQUIRE(ctnn::Layer<ctnn::ReLU>);
    STATIC_REQUIRE(ctnn::Layer<ctnn::LeakyReLUSlope<1, 5>>);
    STATIC_REQUIRE(ctnn::Layer<ctnn::ELU>);
    STATIC_REQUIRE(ctnn::Layer<user::Scale<4>>);
    STATIC_REQUIRE(!ctnn::Layer<int>);
    STATIC_REQUIRE(!ctnn::Layer<std::string>);
    STATIC_REQUIRE(!ctnn::Layer<Seq<Linear<3, 2>>>);
    STATIC_REQUIRE(ctnn::has_input_shape<Linear<3, 2>> && !ctnn::has_input_shape<ctnn::Tanh>);
    STATIC_REQUIRE(ctnn::is_epilogue<ctnn::ELU> && !ctnn::is_epilogue<user::Scale<4>>);
}

TEST_CASE("layers declare their C++ spelling, PyTorch module and tensors", "[layers]") {
    REQUIRE(Linear<784, 256>::cpp_name() == "ctnn::Linear<784,256>");
    REQUIRE(Linear<784, 256>::torch_module() == "nn.Linear(784, 256)");
    REQUIRE(ctnn::LeakyReLU::cpp_name() == "ctnn::LeakyReLU");
    REQUIRE(ctnn::LeakyReLUSlope<20, 100>::cpp_name() == "ctnn::LeakyReLUSlope<1,5>");
    REQUIRE(ctnn::LeakyReLUSlope<20, 100>::torch_module() == "nn.LeakyReLU(negative_slope=1/5)");
    REQUIRE(ctnn::ELU::cpp_name() == "ctnn::ELU");
    REQUIRE(ctnn::ELUAlpha<2, 4>::cpp_name() == "ctnn::ELUAlpha<1,2>");
    REQUIRE(ctnn::ELUAlpha<2, 4>::torch_module() == "nn.ELU(alpha=1/2)");
    REQUIRE(ctnn::ELU::torch_module() == "nn.ELU(alpha=1)");
    REQUIRE(user::Scale<4>::cpp_name() == "user::Scale<4>");
    REQUIRE(ctnn::torch_module<user::Scale<4>>().empty());  // it declares none

    constexpr auto w = Linear<5, 3>::tensors[0];
    STATIC_REQUIRE(w.role == ctnn::TensorRole::weight && w.fan_in() == 5 && w.fan_out() == 3);
    STATIC_REQUIRE(Linear<5, 3>::tensors[1].role == ctnn::TensorRole::bias);
    STATIC_REQUIRE(Linear<5, 3>::tensors[1].offset % ctnn::floats_per_alignment == 0);
    // A Conv2D-shaped weight: fan-in and fan-out count the receptive field, as PyTorch does.
    constexpr ctnn::TensorInfo conv("weight", ctnn::TensorRole::weight, {16, 6, 5, 5},
                                    ctnn::DefaultInit::uniform_inv_sqrt(150));
    STATIC_REQUIRE(conv.fan_in() == 150 && conv.fan_out() == 400 && conv.size() == 2400);
}

TEST_CASE("ELU computes torch.nn.ELU", "[layers]") {
    Seq<Linear<1, 1>, ctnn::ELUAlpha<1, 2>> net;
    net.layer<0>().weight(0, 0) = 1.0f;
    for (float x : {-3.0f, -0.5f, 0.0f, 0.25f, 2.0f}) {
        const float expected = x > 0 ? x : 0.5f * std::expm1(x);
        REQUIRE(net.forward(std::array<float, 1>{x})[0] == Approx(expected).margin(1e-7));
    }
}

using Scaled = Seq<Linear<3, 4>, user::Scale<4>, ctnn::Tanh, Linear<4, 2>>;

TEST_CASE("a user's layer outside namespace ctnn is initialised, trained, saved and loaded", "[layers]") {
    Scaled net;
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(net, rng);
    const auto scale = net.layer_view<1>(net.parameters());  // no view(): a plain pointer
    for (int i = 0; i < 4; ++i) REQUIRE(scale[i] == 1.0f);  // its declared default
    REQUIRE(ctnn::io::signature<Scaled>() == "Linear<3,4>,user::Scale<4>,Tanh,Linear<4,2>");
    REQUIRE(ctnn::summary<Scaled>().find("user::Scale<4>") != std::string::npos);
    STATIC_REQUIRE(Scaled::parameter_count == 3 * 4 + 4 + 4 + 4 * 2 + 2);

    // Trains: y = (x0 - x1, x2) is learnable; the loss falls and the scale moves.
    const std::size_t batch = 32;
    std::vector<float> x(batch * 3), y(batch * 2), dy(batch * 2);
    for (std::size_t r = 0; r < batch; ++r) {
        for (int i = 0; i < 3; ++i) x[r * 3 + i] = float(rng.uniform(-1, 1));
        y[r * 2] = 0.5f * (x[r * 3] - x[r * 3 + 1]);
        y[r * 2 + 1] = 0.5f * x[r * 3 + 2];
    }
    ctnn::Workspace<Scaled> ws(batch);
    ctnn::Gradients<Scaled> grads;
    ctnn::optim::Adam<Scaled> adam({.lr = 0.02f});
    float first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
        last = ctnn::loss::mse(net.train_forward(x, ws), y, dy);
        if (step == 0) first = last;
        grads.zero();
        net.backward(x, dy, ws, grads);
        adam.step(net, grads);
    }
    REQUIRE(last < first / 20);
    REQUIRE(std::any_of(scale, scale + 4, [](float s) { return s != 1.0f; }));

    const auto bytes = ctnn::io::safetensors_bytes(net);
    Scaled back;
    ctnn::io::load_safetensors(back, bytes);
    REQUIRE(std::equal(net.parameters(), net.parameters() + Scaled::parameter_block_size, back.parameters()));
}

using Mlp = Seq<Linear<13, 17>, ctnn::Sigmoid, Linear<17, 9>, ctnn::ELU, Linear<9, 5>>;

TEST_CASE("every way to run a model gives the same outputs", "[inference]") {
    Mlp net;
    ctnn::Rng rng(8);
    ctnn::init::pytorch_default(net, rng);
    const auto x = test::random_vector(13, 4, 2.0);
    std::array<float, 13> xa;
    std::copy(x.begin(), x.end(), xa.begin());

    std::array<float, 5> y;
    net.forward(xa, y);
    REQUIRE(net.forward(xa) == y);

    SECTION("a ModelView over a copy of the block") {
        const std::vector<float> copy(net.parameters(), net.parameters() + Mlp::parameter_block_size);
        const ctnn::ModelView<Mlp> view(std::span<const float, Mlp::parameter_block_size>(copy.data(), copy.size()));
        REQUIRE(view.forward(xa) == y);
        REQUIRE(view.layer<2>().weight(3, 4) == net.layer<2>().weight(3, 4));
    }
    SECTION("another instruction set") {
        const auto sse2 = net.view<xsimd::sse2>().forward(xa);
        test::require_close(sse2, y, 1e-5, 1e-6, "SSE2");
    }
    SECTION("a batch, smaller than the scratch holds") {
        const std::size_t rows = 3;
        std::vector<float> xs(rows * 13), ys(rows * 5);
        for (std::size_t r = 0; r < rows; ++r) std::copy(xa.begin(), xa.end(), xs.begin() + r * 13);
        ctnn::InferenceScratch<Mlp> scratch(8);
        net.forward(xs, ys, scratch);
        for (std::size_t r = 0; r < rows; ++r)
            test::require_close(std::span(ys).subspan(r * 5, 5), y, 1e-5, 1e-6, "batch row");
    }
}

TEST_CASE("predict and probabilities read a classifier's outputs", "[inference]") {
    Mlp net;
    ctnn::Rng rng(2);
    ctnn::init::xavier_uniform(net, rng, 3.0);
    ctnn::InferenceScratch<Mlp> scratch(16);
    const std::size_t rows = 16;
    const auto xs = test::random_vector(rows * 13, 6, 3.0);
    std::vector<int> classes(rows);
    net.predict(xs, std::span(classes), scratch);
    std::vector<int> seen(5, 0);
    for (std::size_t r = 0; r < rows; ++r) {
        std::array<float, 13> x;
        std::copy_n(xs.begin() + std::ptrdiff_t(r * 13), 13, x.begin());
        const auto y = net.forward(x);
        const auto best = std::size_t(std::max_element(y.begin(), y.end()) - y.begin());
        REQUIRE(net.predict(x) == best);
        REQUIRE(std::size_t(classes[r]) == best);
        const auto p = net.probabilities(x);
        REQUIRE(std::accumulate(p.begin(), p.end(), 0.0) == Approx(1.0).epsilon(1e-6));
        REQUIRE(std::size_t(std::max_element(p.begin(), p.end()) - p.begin()) == best);
        // softmax: p_i / p_j = exp(y_i - y_j)
        REQUIRE(p[0] / p[1] == Approx(std::exp(double(y[0]) - y[1])).epsilon(1e-4));
        ++seen[best];
    }
}

TEST_CASE("summary lists layers, shapes and parameter counts", "[inference]") {
    const std::string s = ctnn::summary<Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 10>>>();
    REQUIRE(s.find("ctnn::Linear<784,256>   nn.Linear(784, 256)   {784}   {256}        200960") != std::string::npos);
    REQUIRE(s.find("ctnn::ReLU (fused)") != std::string::npos);
    REQUIRE(s.find("203530 parameters") != std::string::npos);
}
