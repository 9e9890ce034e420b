// ctnn against PyTorch: forward, loss, every gradient, 3 Adam steps and 3 SGD-momentum steps, on
// fixtures written by tools/make_torch_fixtures.py (python3-torch 1.13) and committed in data/.
// Tolerances (|a - b| <= abs + rel |b|): logits and loss 1e-5 + 1e-5; gradients 1e-6 + 1e-4;
// parameters after 3 optimizer steps 1e-6 + 1e-5 (float summation order differs from PyTorch's).
#include <ctnn/ctnn.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include "support.hpp"

using ctnn::Linear;
using ctnn::Seq;

namespace {

struct Sampled {
    std::size_t size = 0, stride = 1;
    std::vector<float> values;
};

std::map<std::string, Sampled> read_fixture(const std::string& file) {
    std::string path = CTNN_TEST_DATA_DIR;  // appended: the + chain gave g++ 12 a false -Warray-bounds
    path += '/';
    path += file;
    std::ifstream in(path);
    REQUIRE(in.good());
    std::map<std::string, Sampled> out;
    std::string name;
    while (in >> name) {
        if (name[0] == '#') {
            std::getline(in, name);
            continue;
        }
        if (name == "batch") {
            in >> name;
            continue;
        }
        Sampled s;
        in >> s.size >> s.stride;
        const std::size_t n = (s.size + s.stride - 1) / s.stride;
        s.values.resize(n);
        for (auto& v : s.values) in >> v;
        REQUIRE(in.good());
        out[name] = std::move(s);
    }
    return out;
}

/// The elements of `all` the fixture sampled.
std::vector<float> sample(std::span<const float> all, const Sampled& s) {
    REQUIRE(all.size() == s.size);
    std::vector<float> v;
    for (std::size_t i = 0; i < all.size(); i += s.stride) v.push_back(all[i]);
    return v;
}

/// A tensor's own name: "bias" of "main.2.bias" (a Residual's inner tensors).
std::string_view leaf(std::string_view name) { return name.substr(name.rfind('.') + 1); }

template <class Net>
void set_formula_parameters(Net& net) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < Net::tensors.size(); ++i) {
        const auto& t = Net::tensors[i];
        if (!t.info.trainable()) {  // running statistics: PyTorch's initial values
            for (std::size_t j = 0; j < t.info.size(); ++j) net.parameters()[t.offset + j] = t.info.init.value;
            continue;
        }
        // A BatchNorm's weight (a `parameter` followed by its bias) and bias: 1 + 0.2 sin, 0.2 sin.
        const bool norm_weight = t.info.role == ctnn::TensorRole::parameter && i + 1 < Net::tensors.size() &&
                                 leaf(Net::tensors[i + 1].info.name) == "bias";
        const bool norm_bias = leaf(t.info.name) == "bias" && i > 0 && Net::tensors[i - 1].info.role == ctnn::TensorRole::parameter;
        if (norm_weight || norm_bias) {
            for (std::size_t j = 0; j < t.info.size(); ++j)
                net.parameters()[t.offset + j] =
                    float((norm_weight ? 1.0 : 0.0) + 0.2 * std::sin(1.3 * double(j) + 0.7 * double(k) + 0.1));
            ++k;
            continue;
        }
        if (t.info.role == ctnn::TensorRole::parameter) {  // a PReLU's slopes: PyTorch's 0.25
            for (std::size_t j = 0; j < t.info.size(); ++j) net.parameters()[t.offset + j] = t.info.init.value;
            ++k;
            continue;
        }
        // A weight's fan-in (in_features; in_channels / groups x kernel); a bias takes its weight's.
        const double fan_in = double(t.info.rank >= 2 ? t.info.fan_in() : Net::tensors[i - 1].info.fan_in());
        for (std::size_t j = 0; j < t.info.size(); ++j)
            net.parameters()[t.offset + j] = float(std::sin(1.3 * double(j) + 0.7 * double(k) + 0.1) / std::sqrt(fan_in));
        ++k;
    }
}

template <class Net>
struct Batch {
    std::vector<float> x;
    std::vector<int> labels;
    explicit Batch(std::size_t batch) : x(batch * Net::in_size), labels(batch) {
        for (std::size_t n = 0; n < x.size(); ++n) x[n] = float(0.5 + 0.5 * std::sin(0.37 * double(n) + 0.2));
        for (std::size_t r = 0; r < batch; ++r) labels[r] = int((7 * r + 3) % Net::out_size);
    }
};

template <class Net>
void compare_tensors(const float* block, const std::map<std::string, Sampled>& f, const std::string& prefix,
                     double rel, double abs, bool trainable_only = false) {
    for (const auto& t : Net::tensors) {
        if (trainable_only && !t.info.trainable()) continue;
        const std::string name = prefix + t.name();
        INFO(name);
        REQUIRE(f.count(name) == 1);
        const auto& s = f.at(name);
        test::require_close(sample({block + t.offset, t.info.size()}, s), s.values, rel, abs, name.c_str());
    }
}

template <class Net, class MakeOptimizer>
void check_steps(const std::map<std::string, Sampled>& f, std::size_t batch, const std::string& prefix,
                 MakeOptimizer make) {
    auto net = std::make_unique<Net>();
    set_formula_parameters(*net);
    Batch<Net> b(batch);
    ctnn::Workspace<Net> ws(batch);
    ctnn::Gradients<Net> grads;
    auto opt = make();
    std::vector<float> dlogits(batch * Net::out_size);
    for (int step = 0; step < 3; ++step) {
        const auto logits = net->train_forward(b.x, ws);
        ctnn::loss::softmax_cross_entropy<Net::out_size, int>(logits, b.labels, dlogits);
        grads.zero();
        net->backward(b.x, dlogits, ws, grads);
        opt.step(*net, grads);
        net->update_running_statistics(ws);
    }
    compare_tensors<Net>(net->parameters(), f, prefix, 1e-5, 1e-6);
    if (f.count(prefix + "eval_logits")) {  // inference with the running statistics
        std::vector<float> logits(batch * Net::out_size);
        ctnn::InferenceScratch<Net> scratch(batch);
        net->forward(b.x, logits, scratch);
        test::require_close(sample(logits, f.at(prefix + "eval_logits")), f.at(prefix + "eval_logits").values, 1e-5,
                            1e-5, "eval_logits");
    }
}

template <class Net>
void check_against_torch(const std::string& file) {
    const auto f = read_fixture(file);
    const std::size_t batch = f.at("input_grad").size / Net::in_size;
    auto net = std::make_unique<Net>();
    set_formula_parameters(*net);
    Batch<Net> b(batch);
    ctnn::Workspace<Net> ws(batch);
    ctnn::Gradients<Net> grads;
    std::vector<float> dlogits(batch * Net::out_size), dx(batch * Net::in_size);

    SECTION("forward and loss") {
        const auto logits = net->train_forward(b.x, ws);
        test::require_close(sample(logits, f.at("logits")), f.at("logits").values, 1e-5, 1e-5, "logits");
        const float loss = ctnn::loss::softmax_cross_entropy<Net::out_size, int>(logits, b.labels);
        REQUIRE(loss == Approx(f.at("loss").values[0]).epsilon(1e-5));
    }
    SECTION("input and parameter gradients") {
        const auto logits = net->train_forward(b.x, ws);
        ctnn::loss::softmax_cross_entropy<Net::out_size, int>(logits, b.labels, dlogits);
        grads.zero();
        net->backward(b.x, dlogits, ws, grads, dx);
        test::require_close(sample(dx, f.at("input_grad")), f.at("input_grad").values, 1e-4, 1e-6, "input_grad");
        compare_tensors<Net>(grads.data(), f, "grad.", 1e-4, 1e-6, true);
    }
    SECTION("three Adam steps") {
        check_steps<Net>(f, batch, "adam3.", [] { return ctnn::optim::Adam<Net>({.lr = 1e-3f}); });
    }
    SECTION("three SGD steps with momentum and weight decay") {
        check_steps<Net>(f, batch, "sgd3.", [] {
            return ctnn::optim::Sgd<Net>({.lr = 0.05f, .momentum = 0.9f, .weight_decay = 1e-3f});
        });
    }
}

}  // namespace

TEST_CASE("the MNIST network matches PyTorch", "[torch]") {
    check_against_torch<Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 256>, ctnn::ReLU, Linear<256, 10>>>(
        "torch_mnist_net.txt");
}

TEST_CASE("an ELU network matches PyTorch", "[torch]") {
    check_against_torch<Seq<Linear<7, 6>, ctnn::ELU, Linear<6, 5>, ctnn::ELUAlpha<1, 2>, Linear<5, 3>>>(
        "torch_elu_net.txt");
}

TEST_CASE("a Sigmoid/Tanh/LeakyReLU network with odd sizes matches PyTorch", "[torch]") {
    check_against_torch<Seq<Linear<13, 17>, ctnn::Sigmoid, Linear<17, 9>, ctnn::Tanh, Linear<9, 6>, ctnn::LeakyReLU,
                            Linear<6, 5>>>("torch_odd_net.txt");
}

TEST_CASE("a network with a Linear without bias, GELU and Softmax matches PyTorch", "[torch]") {
    check_against_torch<Seq<Linear<9, 12, ctnn::NoBias>, ctnn::GELU, Linear<12, 7>, ctnn::Tanh, Linear<7, 5>,
                            ctnn::Softmax>>("torch_gelu_softmax_net.txt");
}

TEST_CASE("a network with PReLU (one slope, and one per value) matches PyTorch", "[torch]") {
    check_against_torch<Seq<Linear<8, 10>, ctnn::PReLU<>, Linear<10, 6>, ctnn::PReLU<6>, Linear<6, 4>>>(
        "torch_prelu_net.txt");
}

TEST_CASE("a convolutional network (Conv2D, ReLU, MaxPool2D, padding, Tanh, AvgPool2D, Flatten) matches PyTorch",
          "[torch][conv]") {
    using Net = ctnn::Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                          ctnn::Conv2D<4, 6, 3, ctnn::Padding<1>>, ctnn::Tanh,
                          ctnn::AvgPool2D<3, ctnn::Stride<1>, ctnn::Padding<1>>, ctnn::Flatten, ctnn::Linear<96, 5>>;
    check_against_torch<Net>("torch_cnn_net.txt");
}

TEST_CASE("every Conv2D option (stride, padding, same, dilation, groups, depthwise, 1x1, no bias) matches PyTorch",
          "[torch][conv]") {
    using namespace ctnn;
    using Net = Seq<Input<3, 11, 12>, Conv2D<3, 6, 3, KernelWidth<5>, Stride<2, 1>, Padding<1, 2>, NoBias>, ReLU,
                    Conv2D<6, 6, 3, SamePadding, Dilation<2>>, ELU, Conv2D<6, 6, 2, KernelWidth<4>, SamePadding, Groups<2>>,
                    LeakyReLU, Conv2D<6, 6, 3, Groups<6>>, MaxPool2D<3, Stride<2>, Padding<1>>, Conv2D<6, 4, 1>, Sigmoid,
                    GlobalAvgPool2D, Flatten, Linear<4, 3>>;
    static_assert(Net::table[6].out == Shape{6, 4, 10} && Net::table[7].out == Shape{6, 2, 5});
    check_against_torch<Net>("torch_cnn_options_net.txt");
}

TEST_CASE("BatchNorm2d and BatchNorm1d match PyTorch: batch statistics in training, running statistics after "
          "three steps, inference with them",
          "[torch][batchnorm]") {
    using namespace ctnn;
    using Net = Seq<Input<2, 10, 10>, Conv2D<2, 4, 3, NoBias>, BatchNorm2d<4>, Tanh, MaxPool2D<2>, Flatten,
                    Linear<64, 8, NoBias>, BatchNorm1d<8>, ReLU, Linear<8, 3>>;
    check_against_torch<Net>("torch_batchnorm_net.txt");
}

TEST_CASE("BatchNorm1d over sequences {C, L} matches PyTorch", "[torch][batchnorm]") {
    using namespace ctnn;
    check_against_torch<Seq<Input<3, 5>, BatchNorm1d<3>, Flatten, Linear<15, 4>>>("torch_batchnorm1d_sequence_net.txt");
}

TEST_CASE("Conv1D (padding, same, stride, dilation, groups, no bias, 1x1) and BatchNorm1d on sequences match PyTorch",
          "[torch][conv1d]") {
    using namespace ctnn;
    using Net = Seq<Input<2, 16>, Conv1D<2, 4, 3, Padding<1>>, Tanh, Conv1D<4, 4, 4, SamePadding>, ELU,
                    Conv1D<4, 4, 3, Stride<2>, Dilation<2>, Groups<2>, NoBias>, BatchNorm1d<4>, ReLU, Conv1D<4, 3, 1>,
                    Flatten, Linear<18, 5>>;
    static_assert(Net::table[4].out == Shape{4, 6});
    check_against_torch<Net>("torch_conv1d_net.txt");
}

TEST_CASE("MaxPool1D and AvgPool1D (stride, padding) match PyTorch", "[torch][conv1d]") {
    using namespace ctnn;
    using Net = Seq<Input<2, 20>, Conv1D<2, 4, 3>, ReLU, MaxPool1D<2>, Conv1D<4, 4, 3, Padding<1>>, Tanh,
                    AvgPool1D<3, Stride<1>, Padding<1>>, MaxPool1D<3, Stride<2>, Padding<1>>, Flatten, Linear<20, 3>>;
    static_assert(Net::table[2].out == Shape{4, 9} && Net::table[6].out == Shape{4, 5});
    check_against_torch<Net>("torch_pool1d_net.txt");
}

TEST_CASE("ConvTranspose1D (stride, padding, output padding, groups, dilation, no bias) matches PyTorch",
          "[torch][conv_transpose]") {
    using namespace ctnn;
    using Net = Seq<Input<2, 12>, Conv1D<2, 4, 3, Stride<2>>, ReLU,
                    ConvTranspose1D<4, 4, 4, Stride<2>, Padding<1>, OutputPadding<1>, Groups<2>>, Tanh,
                    ConvTranspose1D<4, 2, 3, Dilation<2>, NoBias>, Flatten, Linear<30, 3>>;
    static_assert(Net::table[2].out == Shape{4, 11} && Net::table[4].out == Shape{2, 15});
    check_against_torch<Net>("torch_conv_transpose1d_net.txt");
}

TEST_CASE("Residual blocks (a TCN: dilated Conv1D, PReLU, BatchNorm1d, a 1x1 Conv1D shortcut, an identity block) "
          "match PyTorch",
          "[torch][residual]") {
    using namespace ctnn;
    using Net = Seq<Input<2, 16>,
                    Residual<Conv1D<2, 4, 3, Dilation<2>, NoBias>, PReLU<4>, BatchNorm1d<4>, Shortcut<Conv1D<2, 4, 1>>>,
                    ReLU, Residual<Conv1D<4, 4, 3, SamePadding>, Tanh>, Flatten, Linear<48, 3>>;
    check_against_torch<Net>("torch_residual_net.txt");
}

namespace {
/// A recurrent network with a fixture's parameters, run on its inputs (whole sequences), its
/// outputs held to PyTorch's.
template <class Net>
struct RecurrentFixture {
    std::unique_ptr<Net> net = std::make_unique<Net>();
    std::vector<float> x, y;  // every sample {C, T}
    std::size_t batch = 0;

    explicit RecurrentFixture(const std::string& file) {
        const auto f = read_fixture(file);
        for (const auto& t : Net::tensors) {
            const auto& s = f.at(t.name());
            REQUIRE(s.values.size() == t.info.size());
            std::copy(s.values.begin(), s.values.end(), net->parameters() + t.offset);
        }
        x = f.at("inputs").values;
        batch = x.size() / Net::in_size;
        y.resize(batch * Net::out_size);
        ctnn::InferenceScratch<Net> scratch(batch);
        net->forward(x, y, scratch);
        test::require_close(y, f.at("outputs").values, 1e-5, 1e-5, "outputs");
    }

    /// Sample r streamed through `model` (the net or a StreamModel of it) and its whole-sequence
    /// outputs, both time-major.
    template <class Model>
    std::pair<std::vector<float>, std::vector<float>> streamed(std::size_t r, const Model& model) const {
        constexpr std::size_t C = Net::input_shape.dims[0], T = Net::input_shape.dims[1], H = Net::output_shape.dims[0];
        ctnn::Stream<Net> voice;
        std::vector<float> xs(T * C), stream(T * H), whole(T * H);
        for (std::size_t t = 0; t < T; ++t) {
            for (std::size_t c = 0; c < C; ++c) xs[t * C + c] = x[r * Net::in_size + c * T + t];
            for (std::size_t j = 0; j < H; ++j) whole[t * H + j] = y[r * Net::out_size + j * T + t];
        }
        voice.process(model, xs, stream);
        return {stream, whole};
    }
};
}  // namespace

TEST_CASE("GRU and LSTM layers match PyTorch's nn.GRU and nn.LSTM, whole sequences and streamed", "[torch][recurrent]") {
    using namespace ctnn;
    using Net = Seq<Input<3, 12>, GRU<3, 8>, LSTM<8, 5>, GRU<5, 16>, LSTM<16, 16>>;
    static_assert(!Net::trainable && Net::output_shape == Shape{16, 12});
    const RecurrentFixture<Net> f("torch_recurrent_net.txt");
    // One step at a time: the same, bit for bit (a sequence this short runs the stream's step).
    for (std::size_t r = 0; r < f.batch; ++r) {
        const auto [stream, whole] = f.streamed(r, *f.net);
        REQUIRE(stream == whole);
    }
}

TEST_CASE("GRU and LSTM layers over longer sequences match PyTorch, streamed to float rounding", "[torch][recurrent]") {
    // From 32 steps on, a whole sequence's steps run on W_hh packed by columns where that is
    // faster (AVX2 builds): 3, 4 and 9 vectors of gate rows here, sums in another order. A
    // StreamModel packs them the same way: its stream is the whole sequence, bit for bit.
    using namespace ctnn;
    using Net = Seq<Input<2, 36>, GRU<2, 16>, LSTM<16, 8>, GRU<8, 24>>;
    const RecurrentFixture<Net> f("torch_recurrent_long_net.txt");
    constexpr bool packed = kernels::packs_hidden<3, 16> && kernels::packs_hidden<4, 8> && kernels::packs_hidden<3, 24>;
    STATIC_REQUIRE(StreamModel<Net>::packs == packed);
    CAPTURE(packed, kernels::arch_name());
    const StreamModel<Net> prepared(*f.net);
    for (std::size_t r = 0; r < f.batch; ++r) {
        const auto [stream, whole] = f.streamed(r, *f.net);
        test::require_close(whole, stream, 1e-6, 1e-6, "whole sequence against the stream");
        if (!packed) CHECK(stream == whole);  // the same step, bit for bit
        const auto [prepared_stream, same_whole] = f.streamed(r, prepared);
        REQUIRE(prepared_stream == whole);
    }
}

TEST_CASE("training diagnostics match what PyTorch computes for the same weights and batch", "[torch][diagnostics]") {
    // tools/make_torch_fixtures.py: the formula parameters times 16 (exact), one SGD step.
    using Net = Seq<Linear<13, 17>, ctnn::Sigmoid, Linear<17, 9>, ctnn::Tanh, Linear<9, 6>, ctnn::LeakyReLU, Linear<6, 5>>;
    const auto f = read_fixture("torch_diagnostics.txt");
    constexpr std::size_t batch = 6;
    auto net = std::make_unique<Net>();
    set_formula_parameters(*net);
    for (std::size_t i = 0; i < Net::parameter_block_size; ++i) net->parameters()[i] *= 16.0f;
    const Batch<Net> b(batch);
    ctnn::optim::Sgd<Net> sgd({.lr = 0.05f});
    ctnn::Rng rng(1);
    ctnn::train::Trainer trainer(*net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, ctnn::train::DataView(b.x, b.labels, Net::in_size),
                                 {.batch = batch}, rng);
    ctnn::train::Diagnostics<Net> diagnostics({.per_batch = true});
    diagnostics.attach(trainer);
    trainer.run_epoch();

    REQUIRE(diagnostics.batches().size() == 1);
    const auto& r = diagnostics.batches().front();
    REQUIRE(r.weights.size() == 4);
    for (const auto& w : r.weights) {
        INFO(w.tensor);
        CHECK(w.grad_mean_abs == Approx(f.at(w.tensor + ".grad_mean_abs").values[0]).epsilon(1e-4));
        CHECK(w.grad_norm == Approx(f.at(w.tensor + ".grad_norm").values[0]).epsilon(1e-4));
        CHECK(w.weight_norm == Approx(f.at(w.tensor + ".weight_norm").values[0]).epsilon(1e-5));
        CHECK(w.update_ratio == Approx(f.at(w.tensor + ".update_ratio").values[0]).epsilon(1e-3));
    }
    REQUIRE(r.activations.size() == 3);
    for (const auto& a : r.activations) {
        INFO(a.layer);
        CHECK(a.inactive == Approx(f.at(std::to_string(a.position) + ".inactive").values[0]).epsilon(1e-6));
    }
    CHECK(r.activations[0].inactive > 0.05);  // the fixture does saturate some sigmoid outputs
}

namespace {
/// Bf16Model against model.to(torch.bfloat16): the same fp32 logits first (the fixture's
/// network is ctnn's), then the bf16 ones: at least 90% equal to the bit (all of them on the
/// machines seen), the rest at most `steps` bf16 steps away (both sum exact products in fp32, in
/// different orders: a sum near a rounding boundary may round the other way, and the layers
/// after it carry the step on).
template <class Net>
void check_bf16_against_torch(const std::string& file, float steps) {
    const auto f = read_fixture(file);
    const std::size_t batch = f.at("logits").size / Net::out_size;
    auto net = std::make_unique<Net>();
    set_formula_parameters(*net);
    Batch<Net> b(batch);
    std::vector<float> logits(batch * Net::out_size), half(batch * Net::out_size);
    ctnn::InferenceScratch<Net> scratch(batch);
    net->forward(b.x, logits, scratch);
    test::require_close(logits, f.at("logits").values, 1e-5, 1e-5, "fp32 logits");
    const ctnn::Bf16Model<Net> model(*net);
    model.forward(b.x, half, scratch);
    const auto& torch = f.at("logits_bf16").values;
    std::size_t equal = 0;
    for (std::size_t j = 0; j < half.size(); ++j) {
        CAPTURE(j, half[j], torch[j]);
        REQUIRE(std::abs(half[j] - torch[j]) <= steps * 0x1p-7f * std::max(std::abs(torch[j]), 0.01f));
        equal += half[j] == torch[j];
    }
    CAPTURE(equal, half.size());
    REQUIRE(equal * 10 >= half.size() * 9);  // on the machines seen: all of them
}
}  // namespace

TEST_CASE("bf16 inference matches PyTorch's bf16 model", "[torch][bf16]") {
    using Mlp = Seq<Linear<40, 48>, ctnn::ReLU, Linear<48, 33>, ctnn::Sigmoid, Linear<33, 20, ctnn::NoBias>, ctnn::Tanh,
                    Linear<20, 17>, ctnn::LeakyReLU, Linear<17, 5>>;
    using Cnn = Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3>, ctnn::BatchNorm2d<4>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                    ctnn::Flatten, Linear<64, 10>, ctnn::Sigmoid, Linear<10, 3>>;
    SECTION("an MLP with every activation") { check_bf16_against_torch<Mlp>("torch_bf16_mlp.txt", 2); }
    SECTION("a CNN: convolution, BatchNorm and pooling in fp32 on bf16 values") {
        check_bf16_against_torch<Cnn>("torch_bf16_cnn.txt", 2);
    }
}

TEST_CASE("int8 inference matches PyTorch's observers and quantised arithmetic", "[torch][int8]") {
    // The fixture calibrates with MinMaxObserver (inputs) and PerChannelMinMaxObserver (weights)
    // and computes the quantised model exactly (float64 products of the integers).
    using Mlp = Seq<Linear<40, 48>, ctnn::ReLU, Linear<48, 33>, ctnn::Sigmoid, Linear<33, 20, ctnn::NoBias>, ctnn::Tanh,
                    Linear<20, 17>, ctnn::LeakyReLU, Linear<17, 5>>;
    const auto f = read_fixture("torch_int8_mlp.txt");
    const std::size_t batch = f.at("logits").size / Mlp::out_size;
    auto net = std::make_unique<Mlp>();
    set_formula_parameters(*net);
    Batch<Mlp> b(batch);
    const ctnn::Int8Model<Mlp> model(*net, b.x);
    for (std::size_t i : {0, 2, 4, 6, 8}) {
        const std::string p = std::to_string(i) + ".";
        INFO("layer " << i);
        const auto& q = model.input_quantization(i);
        // The ranges of inputs after an activation differ in the last bits (xsimd's tanh is not libm's).
        REQUIRE(q.scale == Approx(f.at(p + "input_scale").values[0]).epsilon(1e-5));
        REQUIRE(q.zero_point == std::int32_t(f.at(p + "input_zero_point").values[0]));
        const auto& e = ctnn::Int8Model<Mlp>::layout.entries[i];
        const auto& scales = f.at(p + "weight_scale").values;
        const auto& w8 = f.at(p + "weight_int8").values;
        for (std::size_t r = 0; r < e.rows; ++r) {
            REQUIRE(model.weight_scales(i)[r] == float(scales[r]));
            for (std::size_t c = 0; c < e.cols; ++c)
                REQUIRE(model.packed_weight(i)[ctnn::kernels::int8_packed_index(e.cols, r, c)] == w8[r * e.cols + c]);
        }
    }
    std::vector<float> y(batch * Mlp::out_size);
    ctnn::InferenceScratch<Mlp> scratch(batch);
    model.forward(b.x, y, scratch);
    // The products are exact on both sides; the scaling (float here, float64 there) and the fp32
    // activations (xsimd's here) differ in the last bits, which can move a later input across a
    // rounding boundary of its quantisation: most outputs agree to 1e-5, all to a few steps.
    const auto& torch = f.at("logits_int8").values;
    const auto& fp32 = f.at("logits").values;
    std::size_t close = 0;
    for (std::size_t j = 0; j < y.size(); ++j) {
        CAPTURE(j, y[j], torch[j], fp32[j]);
        REQUIRE(std::abs(y[j] - torch[j]) <= 2e-3f);
        close += std::abs(y[j] - torch[j]) <= 1e-5f * (1 + std::abs(torch[j]));
    }
    CAPTURE(close, y.size());
    REQUIRE(close * 10 >= y.size() * 9);
}
