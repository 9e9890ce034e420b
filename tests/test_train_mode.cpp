// Layers that compute differently while training: BatchNorm (batch statistics, running
// statistics updated after each step) and Dropout (masks drawn per step, the identity at
// inference). Their arithmetic is held against PyTorch in test_torch_reference and against
// finite differences in test_gradcheck; here: the training/inference split, the masks, the
// running statistics under the optimizers, threads and files, and that nothing allocates.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>
#include <ctnn/io/header_export.hpp>
#include <ctnn/io/safetensors.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include "allocation_counter.hpp"
#include "support.hpp"

using namespace ctnn;
using test::allocations;
using test::make_net;

namespace {

using BnNet = Seq<Input<2, 6, 6>, Conv2D<2, 4, 3, NoBias>, BatchNorm2d<4>, ReLU, MaxPool2D<2>, Dropout2d<20>, Flatten,
                  Linear<16, 8, NoBias>, BatchNorm1d<8>, ReLU, Dropout<50>, Linear<8, 3>>;

static_assert(BnNet::has_running_statistics);
static_assert(!Seq<Linear<4, 3>, Dropout<50>>::has_running_statistics);
// PyTorch's count: parameters only, not running_mean, running_var or num_batches_tracked.
static_assert(BnNet::parameter_count == 4 * 2 * 9 + 2 * 4 + 16 * 8 + 2 * 8 + 8 * 3 + 3);
static_assert(BnNet::tensors[3].info.role == TensorRole::buffer && BnNet::tensors[5].info.role == TensorRole::count);

}  // namespace

TEST_CASE("Dropout zeroes p of the values, scales the rest by 1 / (1 - p), and is the identity at inference",
          "[dropout]") {
    using Net = Seq<Input<1000>, Dropout<30>>;
    Net net;
    const auto x = test::random_vector(20 * 1000, 1);
    Workspace<Net> ws(20);
    const auto y = net.train_forward(x, ws);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (y[i] == 0.0f) ++dropped;
        else REQUIRE(y[i] == Approx(x[i] / 0.7f).epsilon(1e-6));
    }
    // 20000 draws: the standard deviation of the fraction is 0.0032.
    REQUIRE(double(dropped) / double(x.size()) == Approx(0.3).margin(0.015));

    std::vector<float> z(x.size());
    InferenceScratch<Net> scratch(20);
    net.forward(x, z, scratch);
    REQUIRE(z == x);

    // The next step draws other masks; the same TrainingStep draws the same ones.
    const std::vector<float> first(y.begin(), y.end());
    const auto second = net.train_forward(x, ws);
    REQUIRE_FALSE(std::equal(first.begin(), first.end(), second.begin()));
    ws.set_training_step({});
    const auto again = net.train_forward(x, ws);
    REQUIRE(std::equal(first.begin(), first.end(), again.begin()));
    ws.set_training_step({.seed = 7});
    const auto seeded = net.train_forward(x, ws);
    REQUIRE_FALSE(std::equal(first.begin(), first.end(), seeded.begin()));
}

TEST_CASE("two Dropouts of one model draw different masks, in a Seq as in a Residual block", "[dropout]") {
    // The same width at two places, and inside a block: a mask depends on the layer's place.
    using Net = Seq<Input<500>, Dropout<50>, Dropout<50>, Residual<Dropout<50>, Shortcut<Dropout<50>>>>;
    Net net;
    const std::vector<float> ones(4 * 500, 1.0f);
    Workspace<Net> ws(4);
    net.train_forward(ones, ws);
    // Layer 0 keeps about half the values (as 2); with its own mask layer 1 drops about half of
    // those again, where the same mask would drop none of them.
    const float* a = ws.activations(0);
    const float* b = ws.activations(1);
    std::size_t kept = 0, dropped_again = 0;
    for (std::size_t i = 0; i < 4 * 500; ++i)
        if (a[i] != 0.0f) ++kept, dropped_again += b[i] == 0.0f;
    CHECK(dropped_again > kept / 3);
    CHECK(dropped_again < 2 * kept / 3);
    // Inside the block: the main path's and the shortcut's Dropout draw different masks, so the
    // block's output (their sum, each 0 or 2 x its input) takes the values 0, 2x and 4x.
    const float* y = ws.activations(2);
    const float* in = ws.activations(1);
    std::size_t nonzero = 0, one_side = 0;
    for (std::size_t i = 0; i < 4 * 500; ++i)
        if (in[i] != 0.0f) ++nonzero, one_side += y[i] == 2.0f * in[i];
    CHECK(one_side > nonzero / 4);  // about half; the same mask twice gives none
}

TEST_CASE("Dropout2d zeroes whole channels, backward passes the gradient through the same mask", "[dropout]") {
    using Net = Seq<Input<64, 3, 3>, Dropout2d<1, 2>>;
    Net net;
    const auto x = test::random_vector(4 * Net::in_size, 2);
    Workspace<Net> ws(4);
    Gradients<Net> grads;
    const auto y = net.train_forward(x, ws);
    const auto dy = test::random_vector(y.size(), 3);
    std::vector<float> dx(x.size());
    net.backward(x, dy, ws, grads, dx);
    std::size_t dropped = 0;
    for (std::size_t c = 0; c < 4 * 64; ++c) {
        const bool zero = y[c * 9] == 0.0f;
        dropped += zero;
        for (std::size_t i = 0; i < 9; ++i) {
            REQUIRE((y[c * 9 + i] == 0.0f) == zero);
            REQUIRE(dx[c * 9 + i] == (zero ? 0.0f : dy[c * 9 + i] * 2.0f));
        }
    }
    REQUIRE(dropped > 64);  // about half of 256
    REQUIRE(dropped < 192);
}

TEST_CASE("BatchNorm normalises with the batch's statistics while training and the running ones at inference",
          "[batchnorm]") {
    using Net = Seq<Input<3, 4, 4>, BatchNorm2d<3>>;
    auto net = make_net<Net>(1);
    auto x = test::random_vector(6 * Net::in_size, 4, 3.0f);
    for (auto& v : x) v += 5.0f;  // a mean far from the initial running mean, 0
    Workspace<Net> ws(6);
    const auto y = net->train_forward(x, ws);
    for (std::size_t c = 0; c < 3; ++c) {  // weight 1, bias 0: zero mean, unit (biased) variance
        double s = 0, q = 0;
        for (std::size_t r = 0; r < 6; ++r)
            for (std::size_t i = 0; i < 16; ++i) s += y[(r * 3 + c) * 16 + i], q += y[(r * 3 + c) * 16 + i] * y[(r * 3 + c) * 16 + i];
        REQUIRE(s / 96 == Approx(0.0).margin(1e-5));
        REQUIRE(q / 96 == Approx(1.0).epsilon(1e-4));
    }
    // Not yet folded in: inference still uses running_mean 0, running_var 1 (y = x / sqrt(1 + eps)).
    std::vector<float> z(x.size());
    InferenceScratch<Net> scratch(6);
    net->forward(x, z, scratch);
    REQUIRE(z[0] == Approx(x[0] / std::sqrt(1.0f + 1e-5f)));
    net->update_running_statistics(ws);
    const auto v = net->layer<0>();
    REQUIRE(v.num_batches_tracked == 1.0f);
    REQUIRE(v.running_mean[0] == Approx(0.5).epsilon(0.05));  // 0.1 x about 5
}

TEST_CASE("optimizers leave running statistics alone, even with weight decay", "[batchnorm][optim]") {
    auto net = make_net<BnNet>(2);
    const auto x = test::random_vector(8 * BnNet::in_size, 5);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1};
    train::StepBuffers<BnNet> buffers(8);
    optim::Sgd<BnNet> sgd({.lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.5f});
    const float loss = train::loss_and_gradients(*net, loss::SoftmaxCrossEntropy{}, x, labels, buffers);
    REQUIRE(std::isfinite(loss));
    const std::vector<float> before(net->parameters(), net->parameters() + BnNet::parameter_block_size);
    sgd.step(*net, buffers.gradients);
    std::size_t changed = 0;
    for (const auto& t : BnNet::tensors)
        for (std::size_t j = 0; j < t.info.size(); ++j) {
            const bool moved = net->parameters()[t.offset + j] != before[t.offset + j];
            if (!t.info.trainable()) REQUIRE_FALSE(moved);
            changed += moved;
        }
    REQUIRE(changed > 100);
}

TEST_CASE("train::step updates the running statistics once per applied step", "[batchnorm][train]") {
    auto net = make_net<BnNet>(3);
    const auto x = test::random_vector(8 * BnNet::in_size, 6);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1};
    train::StepBuffers<BnNet> buffers(8);
    optim::Adam<BnNet> adam;
    for (int i = 0; i < 3; ++i) train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);
    REQUIRE(net->layer<1>().num_batches_tracked == 3.0f);
    REQUIRE(net->layer<7>().num_batches_tracked == 3.0f);
    // A step that is not applied (non-finite loss) does not count.
    auto bad = x;
    bad[0] = std::nanf("");
    const auto [value, applied] = train::step_if_finite(*net, adam, loss::SoftmaxCrossEntropy{}, bad, labels, buffers);
    REQUIRE_FALSE(applied);
    REQUIRE(net->layer<1>().num_batches_tracked == 3.0f);
    for (float m : net->layer<1>().running_mean) REQUIRE(std::isfinite(m));
}

TEST_CASE("a batch split between threads draws the same Dropout masks and combines BatchNorm's statistics",
          "[batchnorm][dropout][parallel]") {
    const auto x = test::random_vector(10 * BnNet::in_size, 7);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1, 2, 0};

    SECTION("Dropout: the same gradients as one thread") {
        using Net = Seq<Input<2, 6, 6>, Conv2D<2, 4, 3>, Dropout2d<20>, Flatten, Linear<64, 8>, ReLU, Dropout<50>,
                        Linear<8, 3>>;
        auto net = make_net<Net>(4);
        train::StepBuffers<Net> one(10);
        train::loss_and_gradients(*net, loss::SoftmaxCrossEntropy{}, x, labels, one);
        ThreadPool pool(2);
        train::DataParallel<Net> parallel(pool, 10);
        Gradients<Net> grads;
        parallel.loss_and_gradients(*net, loss::SoftmaxCrossEntropy{}, x, labels, grads);
        std::vector<float> a(one.gradients.data(), one.gradients.data() + Net::parameter_block_size);
        std::vector<float> b(grads.data(), grads.data() + Net::parameter_block_size);
        test::require_close(b, a, 1e-4, 1e-6, "gradients, 2 threads vs 1");
    }
    SECTION("BatchNorm: running statistics as one thread computes them for the whole batch") {
        auto single = make_net<BnNet>(5);
        auto parallel_net = make_net<BnNet>(5);
        train::StepBuffers<BnNet> one(10);
        optim::Adam<BnNet> adam1, adam2;
        train::step(*single, adam1, loss::SoftmaxCrossEntropy{}, x, labels, one);
        ThreadPool pool(2);
        train::DataParallel<BnNet> parallel(pool, 10);
        Gradients<BnNet> grads;
        parallel.train_step(*parallel_net, adam2, loss::SoftmaxCrossEntropy{}, x, labels, grads);
        // The first BatchNorm's input is the same either way. (Each share is normalised with
        // its own batch statistics, as in PyTorch's DistributedDataParallel, so the layers after
        // it see other inputs than one thread's.)
        for (const auto& tensor : BnNet::tensors) {
            if (tensor.position != 1 || tensor.info.trainable()) continue;
            INFO(tensor.name());
            for (std::size_t j = 0; j < tensor.info.size(); ++j)
                REQUIRE(parallel_net->parameters()[tensor.offset + j] ==
                        Approx(single->parameters()[tensor.offset + j]).epsilon(1e-5).margin(1e-6));
        }
        REQUIRE(parallel_net->layer<7>().num_batches_tracked == 1.0f);
    }
}

TEST_CASE("training with BatchNorm and Dropout allocates nothing once the buffers exist", "[batchnorm][realtime]") {
    auto net = make_net<BnNet>(6);
    const auto x = test::random_vector(8 * BnNet::in_size, 8);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1};
    train::StepBuffers<BnNet> buffers(8);
    optim::Adam<BnNet> adam;
    std::array<float, BnNet::out_size> y{};
    const std::span<const float, BnNet::in_size> sample(x.data(), BnNet::in_size);
    const long before = allocations.load();
    float first = 0, last = 0;  // the mean loss of the first and of the last 10 steps (Dropout's noise)
    for (int i = 0; i < 60; ++i) {
        const float loss = train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);
        if (i < 10) first += loss / 10;
        if (i >= 50) last += loss / 10;
        net->forward(sample, y);
    }
    REQUIRE(allocations.load() - before == 0);
    INFO("mean loss, first 10 steps " << first << ", last 10 " << last);
    REQUIRE(last < first);
}

TEST_CASE("running statistics save and load, num_batches_tracked is an I64 in the file", "[batchnorm][safetensors]") {
    const auto dir = std::filesystem::temp_directory_path() / "ctnn_test_train_mode";
    std::filesystem::create_directories(dir);
    auto net = make_net<BnNet>(7);
    const auto x = test::random_vector(8 * BnNet::in_size, 9);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0, 1};
    train::StepBuffers<BnNet> buffers(8);
    optim::Adam<BnNet> adam;
    for (int i = 0; i < 4; ++i) train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);
    const auto file = dir / "bn.safetensors";
    io::save_safetensors(*net, file);

    auto back = std::make_unique<BnNet>();
    io::load_safetensors(*back, file);
    REQUIRE(std::equal(net->parameters(), net->parameters() + BnNet::parameter_block_size, back->parameters()));
    REQUIRE(back->layer<1>().num_batches_tracked == 4.0f);

    // In the header: an I64 scalar, as PyTorch's state_dict has it.
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    REQUIRE_THAT(bytes, Catch::Matchers::Contains("\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"));

    // A count stored as F32 is refused, with the tensor, the layer and the dtype it needs.
    std::vector<float> count{4.0f};
    io::TensorBlock<const float> block = io::model_tensors<BnNet>(std::as_const(*net).parameters());
    for (auto& t : block.tensors)
        if (t.stored == ctnn::io::Stored::count) t.stored = ctnn::io::Stored::real;  // written as F32
    io::save_tensors(dir / "f32count.safetensors", std::span(&block, 1));
    const auto r = io::try_load_safetensors(*back, dir / "f32count.safetensors");
    REQUIRE_FALSE(r.ok());
    REQUIRE_THAT(r.message, Catch::Matchers::Contains("1.num_batches_tracked") &&
                                Catch::Matchers::Contains("BatchNorm2d<4>") && Catch::Matchers::Contains("I64"));

    // A checkpoint: optimizer state only for the parameters, the buffers with the model.
    Rng rng(1);
    io::save_checkpoint(dir / "run.safetensors", *net, adam, rng, 1);
    auto resumed = std::make_unique<BnNet>();
    optim::Adam<BnNet> adam2;
    Rng rng2(2);
    REQUIRE(io::load_checkpoint(dir / "run.safetensors", *resumed, adam2, rng2) == 1);
    REQUIRE(std::equal(net->parameters(), net->parameters() + BnNet::parameter_block_size, resumed->parameters()));
    std::filesystem::remove_all(dir);
}

TEST_CASE("fold_batch_norm merges each BatchNorm after a convolution or Linear into it, same outputs",
          "[batchnorm][fold]") {
    using Net = Seq<Input<2, 8, 8>, BatchNorm2d<2>, Conv2D<2, 4, 3, NoBias>, BatchNorm2d<4>, ReLU, MaxPool2D<2>,
                    Conv2D<4, 4, 1, Stride<1>>, BatchNorm2d<4>, Flatten, Linear<36, 8>, BatchNorm1d<8>, Dropout<50>,
                    Linear<8, 3>>;
    // The first BatchNorm follows no layer and stays; a bias appears where there was none.
    using Folded = folded_t<Net>;
    static_assert(std::is_same_v<Folded, Seq<Input<2, 8, 8>, BatchNorm2d<2>, Conv2D<2, 4, 3>, ReLU, MaxPool2D<2>,
                                             Conv2D<4, 4, 1, Stride<1>>, Flatten, Linear<36, 8>, Dropout<50>,
                                             Linear<8, 3>>>);
    static_assert(std::is_same_v<folded_t<Seq<Linear<4, 3>, ReLU>>, Seq<Linear<4, 3>, ReLU>>);
    static_assert(std::is_same_v<folded_t<Seq<Input<2, 9>, Conv1D<2, 4, 3, Stride<2>, NoBias>, BatchNorm1d<4>, Flatten>>,
                                 Seq<Input<2, 9>, Conv1D<2, 4, 3, Stride<2>>, Flatten>>);

    auto net = make_net<Net>(9);
    const auto x = test::random_vector(16 * Net::in_size, 10, 2.0);
    std::vector<int> labels(16);
    for (std::size_t r = 0; r < 16; ++r) labels[r] = int(r % 3);
    train::StepBuffers<Net> buffers(16);
    optim::Adam<Net> adam;
    for (int i = 0; i < 20; ++i) train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);

    const auto folded = fold_batch_norm(*net);
    std::vector<float> expected(16 * 3), got(16 * 3);
    InferenceScratch<Net> s1(16);
    InferenceScratch<Folded> s2(16);
    net->forward(x, expected, s1);
    folded.forward(x, got, s2);
    test::require_close(got, expected, 1e-5, 1e-5, "folded outputs");
    // The BatchNorm that stayed keeps its running statistics.
    REQUIRE(folded.layer<0>().running_var[1] == net->layer<0>().running_var[1]);
}

TEST_CASE("write_header and ModelView carry the running statistics, the exported type is the model's",
          "[batchnorm][export]") {
    using Net = Seq<Input<2, 12>, Conv1D<2, 4, 3, NoBias>, BatchNorm1d<4>, ReLU, Dropout<10>, Flatten, Linear<40, 3>>;
    auto net = make_net<Net>(11);
    const auto x = test::random_vector(6 * Net::in_size, 12, 2.0);
    const std::vector<int> labels{0, 1, 2, 0, 1, 2};
    train::StepBuffers<Net> buffers(6);
    optim::Adam<Net> adam;
    for (int i = 0; i < 5; ++i) train::step(*net, adam, loss::SoftmaxCrossEntropy{}, x, labels, buffers);

    const std::string declared =
        "ctnn::Seq<ctnn::Input<2,12>, ctnn::Conv1D<2,4,3,ctnn::NoBias>, ctnn::BatchNorm1d<4>, ctnn::ReLU, "
        "ctnn::Dropout<10>, ctnn::Flatten, ctnn::Linear<40,3>>";
    STATIC_REQUIRE(std::is_same_v<Net, ctnn::Seq<ctnn::Input<2,12>, ctnn::Conv1D<2,4,3,ctnn::NoBias>, ctnn::BatchNorm1d<4>,
                                                 ctnn::ReLU, ctnn::Dropout<10>, ctnn::Flatten, ctnn::Linear<40,3>>>);
    REQUIRE(io::type_declaration<Net>() == declared);
    std::ostringstream header;
    io::write_header(*net, header);
    REQUIRE_THAT(header.str(), Catch::Matchers::Contains("using Net = " + declared + ";"));

    // A view of a copy of the block (what a compiled-in header is) infers as the model does.
    std::vector<float> block(net->parameters(), net->parameters() + Net::parameter_block_size);
    const ModelView<Net> view(std::span<const float, Net::parameter_block_size>(block.data(), block.size()));
    const std::span<const float, Net::in_size> sample(x.data(), Net::in_size);
    REQUIRE(view.forward(sample) == net->forward(sample));
}
