// Residual<...>: a block of layers with a skip connection, as one layer. Its forward against the
// double-precision reference (and against running its paths as Seqs), tensor names, save and
// load, training with BatchNorm inside on one thread and on two, streaming against the whole
// sequence, and no allocation in inference. Gradients: test_gradcheck.cpp; PyTorch's numbers:
// test_torch_reference.cpp.
#include <ctnn/ctnn.hpp>
#include <array>
#include <memory>
#include <vector>
#include "allocation_counter.hpp"
#include "reference_net.hpp"
#include "support.hpp"

using namespace ctnn;
using test::allocations;

namespace {
// A small TCN: a block whose dilated convolution shortens the sequence by 4 steps (the shortcut,
// a 1x1 convolution, adds its last 12), then an identity block that keeps the length.
using Block = Residual<Conv1D<2, 4, 3, Dilation<2>>, PReLU<4>, BatchNorm1d<4>, Shortcut<Conv1D<2, 4, 1>>>;
using Tcn = Seq<Input<2, 16>, Block, ReLU, Residual<Conv1D<4, 4, 3, Dilation<4>>, Tanh>, Conv1D<4, 1, 1>>;
static_assert(Tcn::table[0].out == Shape{4, 12});
static_assert(Tcn::output_shape == Shape{1, 4});
static_assert(Tcn::parameter_count == (2 * 4 * 3 + 4) + 4 + 4 + 4 + (2 * 4 + 4) + (4 * 4 * 3 + 4) + (4 + 1));

// Vectors: a residual MLP.
using Mlp = Seq<Linear<6, 16>, ReLU, Residual<Linear<16, 16>, ReLU, Linear<16, 16>>, ReLU,
                Residual<Linear<16, 8>, Shortcut<Linear<16, 8, NoBias>>>, Linear<8, 3>>;

template <class Net>
std::unique_ptr<Net> make_tcn() {
    auto net = test::make_net<Net>(5);
    // Running statistics other than the initial ones: main.2 is the BatchNorm1d.
    for (const auto& t : Net::tensors) {
        if (t.name() == "0.main.2.running_mean")
            for (std::size_t c = 0; c < 4; ++c) net->parameters()[t.offset + c] = 0.1f * float(c);
        if (t.name() == "0.main.2.running_var")
            for (std::size_t c = 0; c < 4; ++c) net->parameters()[t.offset + c] = 0.5f + 0.25f * float(c);
    }
    return net;
}
}  // namespace

TEST_CASE("a Residual's tensors are named as a module with `main` and `shortcut` Sequentials", "[residual]") {
    std::vector<std::string> names;
    for (const auto& t : Tcn::tensors) names.push_back(t.name());
    CHECK(names == std::vector<std::string>{"0.main.0.weight", "0.main.0.bias", "0.main.1.weight", "0.main.2.weight",
                                            "0.main.2.bias", "0.main.2.running_mean", "0.main.2.running_var",
                                            "0.main.2.num_batches_tracked", "0.shortcut.0.weight",
                                            "0.shortcut.0.bias", "2.main.0.weight", "2.main.0.bias", "3.weight",
                                            "3.bias"});
    CHECK(layer_name<Block>() ==
          "Residual<ctnn::Conv1D<2,4,3,ctnn::Dilation<2>>,ctnn::PReLU<4>,ctnn::BatchNorm1d<4>,"
          "ctnn::Shortcut<ctnn::Conv1D<2,4,1>>>");
    // Buffers stay out of the optimizers' ranges.
    CHECK(Tcn::trainable_ranges.size() == 2);
}

TEST_CASE("a Residual computes main(x) + shortcut(x), the shortcut's last steps on a shorter main path",
          "[residual]") {
    const auto net = make_tcn<Tcn>();
    constexpr std::size_t batch = 5;
    const auto x = test::random_vector(batch * Tcn::in_size, 2, 1.5);
    std::vector<float> y(batch * Tcn::out_size);
    InferenceScratch<Tcn> scratch(batch);
    net->forward(x, y, scratch);
    test::require_close(y, test::reference_forward(*net, x, batch), 1e-5, 1e-5, "batch forward");

    // One sample through the single-sample API, and the MLP.
    std::array<float, Tcn::in_size> one;
    std::copy_n(x.begin(), Tcn::in_size, one.begin());
    const auto y1 = net->forward(one);
    test::require_close(y1, std::span<const float>(y.data(), Tcn::out_size), 1e-6, 1e-6, "one sample");

    const auto mlp = test::make_net<Mlp>(6);
    const auto xm = test::random_vector(batch * Mlp::in_size, 3);
    std::vector<float> ym(batch * Mlp::out_size);
    InferenceScratch<Mlp> ms(batch);
    mlp->forward(xm, ym, ms);
    test::require_close(ym, test::reference_forward(*mlp, xm, batch), 1e-5, 1e-5, "residual MLP");
}

TEST_CASE("a batch larger than a Residual's inference chunk gives the same rows", "[residual]") {
    // Wide rows: the block runs a batch in chunks of a few rows.
    using Wide = Seq<Input<32, 200>, Residual<Conv1D<32, 32, 3, SamePadding>, ReLU>, Flatten, Linear<6400, 2>>;
    static_assert(Wide::sizes.layer_scratch > 0);
    const auto net = test::make_net<Wide>(7);
    constexpr std::size_t batch = 9;
    const auto x = test::random_vector(batch * Wide::in_size, 4);
    std::vector<float> y(batch * Wide::out_size), row(Wide::out_size);
    InferenceScratch<Wide> scratch(batch), one(1);
    net->forward(x, y, scratch);
    for (std::size_t r = 0; r < batch; ++r) {
        net->forward(std::span<const float>(x.data() + r * Wide::in_size, Wide::in_size), row, one);
        test::require_close(row, std::span<const float>(y.data() + r * Wide::out_size, Wide::out_size), 1e-6, 1e-6,
                            "row");
    }
}

TEST_CASE("a Residual trains: BatchNorm inside updates its running statistics, one thread as two", "[residual][train]") {
    using Net = Seq<Input<2, 16>, Block, ReLU, Flatten, Linear<48, 3>>;
    const auto x = test::random_vector(10 * Net::in_size, 8);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1, 2, 0};

    SECTION("the loss falls, and a step allocates nothing") {
        auto net = test::make_net<Net>(9);
        train::StepBuffers<Net> buffers(10);
        optim::Adam<Net> adam({.lr = 0.01f});
        float first = 0, last = 0;
        train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);
        const long before = allocations.load();
        for (int i = 0; i < 20; ++i) {
            const float loss = train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);
            (i == 0 ? first : last) = loss;
        }
        CHECK(allocations.load() == before);
        CHECK(last < 0.5f * first);
        for (const auto& t : Net::tensors)
            if (t.name() == "0.main.2.num_batches_tracked") CHECK(net->parameters()[t.offset] == 21.0f);
    }
    SECTION("two threads combine the shares' statistics into the batch's") {
        auto single = test::make_net<Net>(9), parallel_net = test::make_net<Net>(9);
        train::StepBuffers<Net> one(10);
        optim::Adam<Net> adam1, adam2;
        train::step(*single, adam1, loss::SoftmaxCrossEntropy{}, x, labels, one);
        ThreadPool pool(2);
        train::DataParallel<Net> parallel(pool, 10);
        Gradients<Net> grads;
        parallel.train_step(*parallel_net, adam2, loss::SoftmaxCrossEntropy{}, x, labels, grads);
        std::size_t buffers = 0;
        for (const auto& t : Net::tensors) {
            if (t.info.trainable()) continue;
            INFO(t.name());
            ++buffers;
            for (std::size_t j = 0; j < t.info.size(); ++j)
                REQUIRE(parallel_net->parameters()[t.offset + j] ==
                        Approx(single->parameters()[t.offset + j]).epsilon(1e-5).margin(1e-6));
        }
        CHECK(buffers == 3);
        // And the running mean moved from its initial zeros.
        for (const auto& t : Net::tensors)
            if (t.name() == "0.main.2.running_mean") CHECK(single->parameters()[t.offset] != 0.0f);
    }
}

TEST_CASE("a Residual streams: the same outputs as the whole sequence once it has seen enough steps",
          "[residual][stream]") {
    const auto net = make_tcn<Tcn>();
    constexpr std::size_t T = 16, reach = 4 + 8;
    static_assert(Stream<Tcn>::state_size == 2 * 4 + 4 * 8, "each Conv1D keeps (K - 1) D steps of its input");
    const auto seq = test::random_vector(Tcn::in_size, 10, 2.0);
    std::vector<float> whole(Tcn::out_size);
    InferenceScratch<Tcn> scratch(1);
    net->forward(seq, whole, scratch);

    std::vector<float> steps(2 * T), streamed(T);
    for (std::size_t c = 0; c < 2; ++c)
        for (std::size_t t = 0; t < T; ++t) steps[t * 2 + c] = seq[c * T + t];
    Stream<Tcn> voice;
    const long before = allocations.load();
    voice.process(*net, steps, streamed);
    CHECK(allocations.load() == before);
    test::require_close(std::span<const float>(streamed.data() + reach, T - reach), whole, 1e-5, 1e-5, "streamed");

    // step by step: bit for bit what process gave.
    voice.reset();
    for (std::size_t t = 0; t < T; ++t) {
        float y;
        voice.step(*net, std::span<const float, 2>(steps.data() + 2 * t, 2), std::span<float, 1>(&y, 1));
        CHECK(y == streamed[t]);
    }
}

TEST_CASE("inference through Residual blocks allocates nothing", "[residual][realtime]") {
    const auto net = make_tcn<Tcn>();
    const auto x = test::random_vector(Tcn::in_size, 11);
    std::array<float, Tcn::in_size> one;
    std::copy(x.begin(), x.end(), one.begin());
    std::array<float, Tcn::out_size> y{};
    const long before = allocations.load();
    net->forward(one, y);
    CHECK(allocations.load() == before);
}
