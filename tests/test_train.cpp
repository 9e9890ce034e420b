// ctnn::train: the batch order (every sample once per epoch, drop_last, a seed reproduces it),
// data sets of bytes and of floats, batches, the epoch loop's mean cost, callbacks, schedules,
// evaluation of classifiers and regressions, the progress bar, no allocation per batch, a run
// resumed from saved state equal to an uninterrupted one, and classifiers and a regression that
// learn small synthetic data sets in well under a second.
#include <ctnn/ctnn.hpp>
#include <ctnn/train/batch.hpp>
#include <ctnn/train/batch_sampler.hpp>
#include <ctnn/train/dataset.hpp>
#include <ctnn/train/evaluate.hpp>
#include <ctnn/train/progress.hpp>
#include <ctnn/train/trainer.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <type_traits>
#include <vector>
#include "support.hpp"

#include "allocation_counter.hpp"

using ctnn::train::Batch;
using ctnn::train::BatchOptions;
using ctnn::train::BatchSampler;
using ctnn::train::ByteImageView;
using ctnn::train::DataView;

namespace {

std::vector<std::uint32_t> epoch_order(BatchSampler& s) {
    s.start_epoch();
    std::vector<std::uint32_t> all;
    for (std::size_t k = 0; k < s.batches(); ++k) {
        auto b = s.batch(k);
        all.insert(all.end(), b.begin(), b.end());
    }
    return all;
}

/// Bytes and labels: `per_class` samples of each of `classes` classes, each a fixed random
/// prototype of `size` bytes plus noise, interleaved.
struct Synthetic {
    std::vector<std::uint8_t> pixels, labels;
    std::size_t size;
    Synthetic(std::size_t classes, std::size_t per_class, std::size_t size_, std::uint64_t seed, int noise)
        : size(size_) {
        ctnn::Rng proto_rng(1234);  // the same prototypes for the training and the test set
        std::vector<int> protos(classes * size);
        for (auto& p : protos) p = int(proto_rng.below(256));
        ctnn::Rng rng(seed);
        for (std::size_t i = 0; i < per_class; ++i)
            for (std::size_t c = 0; c < classes; ++c) {
                labels.push_back(std::uint8_t(c));
                for (std::size_t j = 0; j < size; ++j) {
                    const int v = protos[c * size + j] + int(rng.below(2 * noise + 1)) - noise;
                    pixels.push_back(std::uint8_t(std::clamp(v, 0, 255)));
                }
            }
    }
    ByteImageView view() const { return {pixels, labels, size}; }
};

}  // namespace

TEST_CASE("Every sample is in exactly one batch per epoch, the last batch is short without drop_last",
          "[train][batches]") {
    ctnn::Rng rng(5);
    BatchSampler s(103, {.batch = 10, .shuffle = true, .drop_last = false}, rng);
    REQUIRE(s.batches() == 11);
    for (int epoch = 0; epoch < 3; ++epoch) {
        auto all = epoch_order(s);
        REQUIRE(s.batch(10).size() == 3);
        REQUIRE(all.size() == 103);
        std::sort(all.begin(), all.end());
        for (std::uint32_t i = 0; i < 103; ++i) REQUIRE(all[i] == i);
    }
}

TEST_CASE("drop_last drops the partial batch, samples are distinct and the dropped ones vary", "[train][batches]") {
    ctnn::Rng rng(5);
    BatchSampler s(103, {.batch = 10}, rng);  // defaults: shuffle, drop_last
    REQUIRE(s.batches() == 10);
    std::set<std::uint32_t> seen_over_epochs;
    for (int epoch = 0; epoch < 20; ++epoch) {
        const auto all = epoch_order(s);
        REQUIRE(all.size() == 100);
        for (std::size_t k = 0; k < s.batches(); ++k) REQUIRE(s.batch(k).size() == 10);
        const std::set<std::uint32_t> distinct(all.begin(), all.end());
        REQUIRE(distinct.size() == 100);
        REQUIRE(*distinct.rbegin() < 103);
        seen_over_epochs.insert(all.begin(), all.end());
    }
    REQUIRE(seen_over_epochs.size() == 103);  // a fresh order each epoch, so no sample is always dropped
    BatchSampler small(7, {.batch = 10}, rng);
    REQUIRE(small.batches() == 0);
}

TEST_CASE("A seed reproduces every epoch's order, another seed gives another, no shuffle is the identity",
          "[train][batches]") {
    ctnn::Rng ra(42), rb(42), rc(43);
    BatchSampler a(1000, {.batch = 32}, ra), b(1000, {.batch = 32}, rb), c(1000, {.batch = 32}, rc);
    std::vector<std::uint32_t> previous;
    for (int epoch = 0; epoch < 3; ++epoch) {
        const auto oa = epoch_order(a);
        REQUIRE(oa == epoch_order(b));
        REQUIRE(oa != epoch_order(c));
        REQUIRE(oa != previous);  // epochs differ from each other
        previous = oa;
    }
    ctnn::Rng r0(0);
    BatchSampler plain(50, {.batch = 8, .shuffle = false, .drop_last = false}, r0);
    const auto order = epoch_order(plain);
    for (std::uint32_t i = 0; i < 50; ++i) REQUIRE(order[i] == i);
}

TEST_CASE("A batch of byte images holds the chosen samples as bytes / 255 and their labels", "[train][batches]") {
    const std::vector<std::uint8_t> pixels{0, 255, 1, 2, 128, 3, 4, 5, 6};
    const std::vector<std::uint8_t> labels{7, 8, 9};
    const ByteImageView data(pixels, labels, 3);
    STATIC_REQUIRE(ctnn::train::Dataset<ByteImageView>);
    Batch b(data, 4);
    STATIC_REQUIRE(std::is_same_v<decltype(b), Batch<std::uint8_t>>);
    const std::uint32_t idx[] = {2, 0};
    b.gather(data, idx);
    REQUIRE(b.size() == 2);
    const std::vector<float> expected{4 / 255.0f, 5 / 255.0f, 6 / 255.0f, 0.0f, 1.0f, 1 / 255.0f};
    REQUIRE(std::vector<float>(b.inputs().begin(), b.inputs().end()) == expected);
    REQUIRE(b.targets()[0] == 9);
    REQUIRE(b.targets()[1] == 7);
    b.gather(data, 1, 2);
    REQUIRE(b.inputs()[1] == 128 / 255.0f);
    REQUIRE(b.targets()[1] == 9);
    REQUIRE(data.slice(1, 2).pixels(0)[1] == 128);
    REQUIRE(data.slice(1, 2).label(1) == 9);
}

TEST_CASE("A float data set gives rows of features and targets, slices and splits copy nothing", "[train][batches]") {
    const std::vector<float> features{0, 1, 10, 11, 20, 21, 30, 31, 40, 41};
    const std::vector<float> targets{0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 3.5f, -3.5f, 4.5f, -4.5f};
    const DataView data(features, targets, 2, 2);  // five samples of two features and two targets
    STATIC_REQUIRE(std::is_same_v<decltype(data), const DataView<float>>);
    STATIC_REQUIRE(ctnn::train::Dataset<DataView<float>>);
    REQUIRE(data.size() == 5);
    Batch<float> b(3, 2, 2);
    const std::uint32_t idx[] = {4, 1};
    b.gather(data, idx);
    REQUIRE(std::vector<float>(b.inputs().begin(), b.inputs().end()) == std::vector<float>{40, 41, 10, 11});
    REQUIRE(std::vector<float>(b.targets().begin(), b.targets().end()) == std::vector<float>{4.5f, -4.5f, 1.5f, -1.5f});
    // In parts, as a Trainer's threads gather it: rows 1 and 2 first, then row 0.
    const std::uint32_t three[] = {3, 0, 2};
    b.start(data, 3);
    b.gather_rows(data, three, 1, 2);
    b.gather_rows(data, three, 0, 1);
    REQUIRE(std::vector<float>(b.inputs().begin(), b.inputs().end()) == std::vector<float>{30, 31, 0, 1, 20, 21});
    REQUIRE(b.targets()[5] == -2.5f);
    const auto [train, validation] = ctnn::train::split(data, 2);
    REQUIRE(train.size() == 3);
    REQUIRE(validation.size() == 2);
    REQUIRE(validation.features(0).data() == features.data() + 6);  // a view, not a copy
    REQUIRE(validation.targets(1)[1] == -4.5f);
    const std::vector<std::int64_t> labels{3, 1};
    const std::span<const float> two_samples(features.data(), 4);
    const DataView classes(two_samples, labels, 2);
    STATIC_REQUIRE(std::is_same_v<decltype(classes), const DataView<std::int64_t>>);
    REQUIRE(classes.targets(1)[0] == 1);
}

TEST_CASE("run_epoch returns the mean of the batch losses", "[train]") {
    using Net = ctnn::Seq<ctnn::Linear<8, 6>, ctnn::Tanh, ctnn::Linear<6, 3>>;
    const Synthetic s(3, 20, 8, 9, 60);  // 60 samples
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(*net, rng);
    ctnn::optim::Sgd<Net> frozen({.lr = 0.0f});  // the net does not change: losses are comparable
    const BatchOptions opt{.batch = 16};         // 3 full batches, 12 samples dropped
    ctnn::Rng order(77);
    const ctnn::loss::SoftmaxCrossEntropy ce;
    ctnn::train::Trainer trainer(*net, frozen, ce, s.view(), opt, order);
    REQUIRE(trainer.batches_per_epoch() == 3);
    std::vector<float> batch_losses;
    trainer.on_batch_end([&](const ctnn::train::BatchEnd<Net>& e) { batch_losses.push_back(e.loss); });
    const double cost = trainer.run_epoch();

    ctnn::Rng same(77);
    BatchSampler sampler(60, opt, same);  // the same order as the trainer's
    sampler.start_epoch();
    Batch b(s.view(), 16);
    ctnn::train::StepBuffers<Net> buffers(16);
    double sum = 0;
    for (std::size_t k = 0; k < 3; ++k) {
        b.gather(s.view(), sampler.batch(k));
        const float loss = ctnn::train::loss_and_gradients(*net, ce, b.inputs(), b.targets(), buffers);
        REQUIRE(loss == batch_losses[k]);
        sum += loss;
    }
    REQUIRE(cost == Approx(sum / 3).epsilon(1e-6));
    REQUIRE(trainer.epochs_done() == 1);
    REQUIRE(order.state() == same.state());  // the trainer continued the caller's generator
}

TEST_CASE("Evaluation: accuracy, confusion matrix, first largest logit wins", "[train]") {
    // Identity weights: the prediction is the position of the largest input byte.
    using Net = ctnn::Seq<ctnn::Linear<3, 3>>;
    Net net;
    for (int i = 0; i < 3; ++i) net.layer<0>().weight(i, i) = 1.0f;
    const std::vector<std::uint8_t> pixels{9, 0, 0, /**/ 0, 9, 0, /**/ 0, 0, 9, /**/ 5, 5, 0, /**/ 0, 1, 0};
    const std::vector<std::uint8_t> labels{0, 1, 1, 1, 1};
    const auto e = ctnn::train::evaluate(net, ByteImageView(pixels, labels, 3), 2);  // batches of 2, 2, 1
    REQUIRE(e.total == 5);
    REQUIRE(e.correct == 3);  // sample 2 predicted 2; sample 3 is a tie, predicted 0
    REQUIRE(e.accuracy() == Approx(0.6));
    REQUIRE(e.accuracy_f32() == 0.6f);
    REQUIRE(e.count(0, 0) == 1);
    REQUIRE(e.count(1, 1) == 2);
    REQUIRE(e.count(1, 2) == 1);
    REQUIRE(e.count(1, 0) == 1);
    std::size_t sum = 0;
    for (auto c : e.confusion) sum += c;
    REQUIRE(sum == 5);
}

TEST_CASE("The progress bar draws only when enabled", "[train][progress]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    ctnn::train::Progress off(f, false);
    off.label("epoch %d/%d", 1, 2);
    off.begin(10, 100);
    off.step(10);
    off.end();
    REQUIRE(std::ftell(f) == 0);
    ctnn::train::Progress on(f, true);
    on.label("epoch %d/%d", 3, 15);
    on.begin(10, 100);
    on.step(10);  // the last step always draws
    on.end();
    std::rewind(f);
    char text[512] = {};
    const std::size_t n = std::fread(text, 1, sizeof text - 1, f);
    std::fclose(f);
    const std::string s(text, n);
    CHECK(s.find("epoch 3/15 [") != std::string::npos);
    CHECK(s.find("10/10") != std::string::npos);
    // A file is not a terminal: the default constructor stays silent there.
    std::FILE* g = std::tmpfile();
    CHECK_FALSE(ctnn::train::Progress(g).enabled());
    std::fclose(g);
}

TEST_CASE("An epoch allocates nothing", "[train]") {
    using Net = ctnn::Seq<ctnn::Linear<16, 12>, ctnn::ReLU, ctnn::Linear<12, 4>>;
    const Synthetic s(4, 50, 16, 2, 40);
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(*net, rng);
    ctnn::optim::Adam<Net> adam;
    ctnn::train::Trainer trainer(*net, adam, ctnn::loss::SoftmaxCrossEntropy{}, s.view(), {.batch = 10}, rng);
    std::FILE* f = std::tmpfile();
    ctnn::train::Progress progress(f, true);
    progress.attach(trainer);
    double sum = 0;
    trainer.on_batch_end([&](const auto& e) { sum += e.loss; });  // a callback per batch costs no allocation
    trainer.set_lr_schedule(ctnn::optim::CosineLr{.t_max = 4});
    progress.label("epoch %d", 1);
    trainer.run_epoch();  // the first epoch may let stdio set up its buffer
    const long before = test::allocations.load();
    for (int e = 0; e < 3; ++e) {
        progress.label("epoch %d", e + 2);
        trainer.run_epoch();
    }
    const long during = test::allocations.load() - before;
    std::rewind(f);
    char text[64] = {};
    REQUIRE(std::fread(text, 1, sizeof text - 1, f) > 0);  // the bar was drawn through the callbacks
    std::fclose(f);
    REQUIRE(during == 0);
    REQUIRE(sum > 0);
}

TEST_CASE("A classifier learns a synthetic 10-class data set", "[train][accuracy]") {
    using Net = ctnn::Seq<ctnn::Linear<64, 32>, ctnn::ReLU, ctnn::Linear<32, 10>>;
    const Synthetic train(10, 200, 64, 1, 90);  // 2000 samples
    const Synthetic test(10, 50, 64, 2, 90);    // 500 samples, the same classes
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(7);
    ctnn::init::pytorch_default(*net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 3e-3f});
    ctnn::train::Trainer trainer(*net, adam, ctnn::loss::SoftmaxCrossEntropy{}, train.view(), {.batch = 50}, rng);
    const double untrained = ctnn::train::evaluate(*net, test.view()).accuracy();
    std::vector<double> costs;
    for (int e = 0; e < 5; ++e) costs.push_back(trainer.run_epoch());
    const auto e = ctnn::train::evaluate(*net, test.view());
    INFO("costs " << costs[0] << " ... " << costs.back() << ", accuracy " << untrained << " -> " << e.accuracy());
    CHECK(costs.back() < costs.front() / 4);
    CHECK(untrained < 0.5);
    CHECK(e.accuracy() > 0.97);
    CHECK(e.total == 500);
}

TEST_CASE("Training on two threads learns the same and repeats exactly", "[train][parallel]") {
    using Net = ctnn::Seq<ctnn::Linear<64, 32>, ctnn::ReLU, ctnn::Linear<32, 10>>;
    const Synthetic train(10, 200, 64, 1, 90);
    const Synthetic test(10, 50, 64, 2, 90);
    ctnn::ThreadPool pool(2);
    auto run = [&](ctnn::ThreadPool* p) {
        auto net = std::make_unique<Net>();
        ctnn::Rng rng(7);
        ctnn::init::pytorch_default(*net, rng);
        ctnn::optim::Adam<Net> adam({.lr = 3e-3f});
        ctnn::train::Trainer trainer(*net, adam, ctnn::loss::SoftmaxCrossEntropy{}, train.view(), {.batch = 50}, rng, p);
        std::vector<double> costs;
        for (int e = 0; e < 5; ++e) costs.push_back(trainer.run_epoch());
        return std::pair{costs, ctnn::train::evaluate(*net, test.view()).accuracy()};
    };
    const auto [single_costs, single_accuracy] = run(nullptr);
    const auto [costs, accuracy] = run(&pool);
    const auto [again_costs, again_accuracy] = run(&pool);
    CHECK(costs == again_costs);  // deterministic for a thread count
    CHECK(accuracy == again_accuracy);
    CHECK(costs.front() == Approx(single_costs.front()).epsilon(1e-5));  // same data, same start
    CHECK(accuracy > 0.97);
    CHECK(std::abs(accuracy - single_accuracy) < 0.01);
}

TEST_CASE("Callbacks see every epoch and batch, in order, with the batch's loss and gradients", "[train][callbacks]") {
    using Net = ctnn::Seq<ctnn::Linear<8, 6>, ctnn::Tanh, ctnn::Linear<6, 3>>;
    const Synthetic s(3, 20, 8, 9, 60);
    Net net;
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::Sgd<Net> sgd({.lr = 0.1f});
    ctnn::train::Trainer trainer(net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, s.view(), {.batch = 16}, rng);
    trainer.set_lr_schedule(ctnn::optim::StepLr{.step_size = 1, .gamma = 0.5f});
    std::vector<std::string> log;
    std::vector<float> lrs;
    double batch_sum = 0;
    trainer.on_epoch_begin([&](const ctnn::train::EpochBegin& e) {
        log.push_back("begin " + std::to_string(e.epoch) + " of " + std::to_string(e.batches) + "x" +
                      std::to_string(e.batch_size));
        lrs.push_back(e.learning_rate);
        batch_sum = 0;
    });
    trainer.on_batch_end([&](const ctnn::train::BatchEnd<Net>& e) {
        log.push_back("batch " + std::to_string(e.epoch) + "." + std::to_string(e.batch) + "/" + std::to_string(e.batches));
        batch_sum += e.loss;
        REQUIRE(&e.net == &net);
        REQUIRE(e.samples == 16);
        double norm = 0;
        for (float g : e.gradients.span()) norm += double(g) * g;
        REQUIRE(norm > 0);  // this batch's gradients, not a zeroed block
    });
    double reported = 0;
    trainer.on_epoch_end([&](const ctnn::train::EpochEnd<Net>& e) {
        log.push_back("end " + std::to_string(e.epoch));
        REQUIRE(e.mean_loss == Approx(batch_sum / double(e.batches)));
        reported = e.mean_loss;
        REQUIRE(trainer.epochs_done() == e.epoch + 1);
    });
    const double first = trainer.run_epoch();
    REQUIRE(first == reported);
    trainer.run_epoch();
    const std::vector<std::string> expected{"begin 0 of 3x16", "batch 0.0/3", "batch 0.1/3", "batch 0.2/3", "end 0",
                                            "begin 1 of 3x16", "batch 1.0/3", "batch 1.1/3", "batch 1.2/3", "end 1"};
    REQUIRE(log == expected);
    REQUIRE(lrs == std::vector<float>{0.1f, 0.05f});  // the schedule, applied before each epoch
    REQUIRE(sgd.options().lr == 0.05f);
}

namespace {
/// Copies a model's parameters and an optimizer's state (blocks and step count) into others,
/// through the documented state interface, as a checkpoint file would.
template <class Net, class Opt>
void copy_training_state(const Net& net, const Opt& opt, Net& net_copy, Opt& opt_copy) {
    std::copy(net.parameters(), net.parameters() + Net::parameter_block_size, net_copy.parameters());
    const auto from = opt.state_blocks();
    auto to = opt_copy.state_blocks();
    for (std::size_t k = 0; k < from.size(); ++k) std::copy(from[k].values.begin(), from[k].values.end(), to[k].values.begin());
    opt_copy.set_steps(opt.steps());
}
}  // namespace

TEST_CASE("Training resumed from saved state equals training straight through, bit for bit", "[train][resume]") {
    using Net = ctnn::Seq<ctnn::Linear<16, 12>, ctnn::ReLU, ctnn::Linear<12, 4>>;
    const Synthetic s(4, 50, 16, 2, 40);
    const ctnn::loss::SoftmaxCrossEntropy ce;
    for (std::size_t threads : {1, 2}) {
        CAPTURE(threads);
        ctnn::ThreadPool pool(threads);
        const ctnn::optim::CosineLr schedule{.t_max = 3, .eta_min = 1e-4f};

        Net straight;
        ctnn::Rng rng(11);
        ctnn::init::pytorch_default(straight, rng);
        ctnn::optim::Adam<Net> adam({.lr = 5e-3f});
        ctnn::train::Trainer trainer(straight, adam, ce, s.view(), {.batch = 10}, rng, &pool);
        trainer.set_lr_schedule(schedule);
        trainer.run_epoch();
        trainer.run_epoch();
        // Saved after 2 epochs: parameters, optimizer state, the sampling generator's state.
        Net resumed;
        ctnn::optim::Adam<Net> adam2({.lr = 5e-3f});
        copy_training_state(straight, adam, resumed, adam2);
        ctnn::Rng rng2;
        rng2.restore(rng.state());
        const double third = trainer.run_epoch();

        ctnn::train::Trainer again(resumed, adam2, ce, s.view(), {.batch = 10}, rng2, &pool);
        again.set_lr_schedule(schedule);
        again.set_epochs_done(2);
        REQUIRE(again.run_epoch() == third);
        REQUIRE(std::equal(straight.parameters(), straight.parameters() + Net::parameter_block_size, resumed.parameters()));
        REQUIRE(adam2.steps() == adam.steps());
        REQUIRE(rng2.state() == rng.state());
    }
}

TEST_CASE("A regression learns float targets with MSE, evaluate reports its error", "[train][regression]") {
    // y = (x0 - 2 x1, x0 x1) on [-1, 1]^2: a linear and a non-linear output.
    using Net = ctnn::Seq<ctnn::Linear<2, 16>, ctnn::Tanh, ctnn::Linear<16, 2>>;
    ctnn::Rng data_rng(5);
    std::vector<float> x(1200 * 2), y(1200 * 2);
    for (std::size_t i = 0; i < 1200; ++i) {
        x[2 * i] = float(data_rng.uniform(-1, 1));
        x[2 * i + 1] = float(data_rng.uniform(-1, 1));
        y[2 * i] = x[2 * i] - 2 * x[2 * i + 1];
        y[2 * i + 1] = x[2 * i] * x[2 * i + 1];
    }
    const auto parts = ctnn::train::split(DataView(x, y, 2, 2), 200);
    const auto& train = parts.train;
    const auto& validation = parts.validation;  // a reference, not a structured binding: lambdas capture it
    Net net;
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::AdamW<Net> adamw({.lr = 1e-2f, .weight_decay = 1e-4f});
    const ctnn::loss::MeanSquaredError mse;
    ctnn::train::Trainer trainer(net, adamw, mse, train, {.batch = 20}, rng);
    const double before = ctnn::train::evaluate(net, validation).mse();
    std::vector<double> validation_losses;
    trainer.on_epoch_end([&](const auto& e) { validation_losses.push_back(ctnn::train::mean_loss(e.net, mse, validation)); });
    for (int e = 0; e < 30; ++e) trainer.run_epoch();
    const auto result = ctnn::train::evaluate(net, validation, 64);
    INFO("validation MSE " << before << " -> " << result.mse());
    CHECK(result.total == 200);
    CHECK(result.outputs == 2);
    CHECK(result.mse() < before / 50);
    CHECK(result.mse() < 2e-3);
    CHECK(result.max_abs_error < 0.3);
    // mean_loss of MSE is the same quantity as evaluate's mse, by another path.
    CHECK(validation_losses.back() == Approx(result.mse()).epsilon(1e-5));
}

TEST_CASE("Binary cross-entropy trains two independent yes/no outputs", "[train][bce]") {
    // Output 0: x0 > 0; output 1: x0 + x1 > 0.5 (targets 0 or 1, as floats).
    using Net = ctnn::Seq<ctnn::Linear<2, 8>, ctnn::ReLU, ctnn::Linear<8, 2>>;
    ctnn::Rng data_rng(9);
    std::vector<float> x(800 * 2), t(800 * 2);
    for (std::size_t i = 0; i < 800; ++i) {
        x[2 * i] = float(data_rng.uniform(-1, 1));
        x[2 * i + 1] = float(data_rng.uniform(-1, 1));
        t[2 * i] = x[2 * i] > 0 ? 1.0f : 0.0f;
        t[2 * i + 1] = x[2 * i] + x[2 * i + 1] > 0.5f ? 1.0f : 0.0f;
    }
    const DataView data(x, t, 2, 2);
    Net net;
    ctnn::Rng rng(2);
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 1e-2f});
    const ctnn::loss::BceWithLogits bce;
    ctnn::train::Trainer trainer(net, adam, bce, data, {.batch = 40}, rng);
    const double first = trainer.run_epoch();
    double last = first;
    for (int e = 0; e < 20; ++e) last = trainer.run_epoch();
    INFO("BCE " << first << " -> " << last);
    CHECK(last < first / 4);
    std::size_t right = 0;
    for (std::size_t i = 0; i < 800; ++i) {
        std::array<float, 2> in{x[2 * i], x[2 * i + 1]}, logits;
        net.forward(in, logits);
        right += (logits[0] > 0) == (t[2 * i] > 0.5f);
        right += (logits[1] > 0) == (t[2 * i + 1] > 0.5f);
    }
    CHECK(double(right) / 1600 > 0.97);
}

TEST_CASE("A classifier trains on float features with 64-bit labels", "[train][accuracy]") {
    using Net = ctnn::Seq<ctnn::Linear<2, 16>, ctnn::Tanh, ctnn::Linear<16, 3>>;
    // Three classes by angle sector around the origin.
    ctnn::Rng data_rng(4);
    std::vector<float> x;
    std::vector<std::int64_t> labels;
    for (int i = 0; i < 900; ++i) {
        const double a = data_rng.uniform(0, 2 * 3.14159265358979), r = data_rng.uniform(0.2, 1);
        x.push_back(float(r * std::cos(a)));
        x.push_back(float(r * std::sin(a)));
        labels.push_back(std::int64_t(a / (2 * 3.14159265358979 / 3)));
    }
    const auto [train, test] = ctnn::train::split(DataView(x, labels, 2), 300);
    Net net;
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 2e-2f});
    ctnn::train::Trainer trainer(net, adam, ctnn::loss::SoftmaxCrossEntropy{}, train, {.batch = 30}, rng);
    for (int e = 0; e < 30; ++e) trainer.run_epoch();
    const auto e = ctnn::train::evaluate(net, test);
    INFO("accuracy " << e.accuracy());
    CHECK(e.total == 300);
    CHECK(e.classes == 3);
    CHECK(e.accuracy() > 0.95);
    const double validation_loss = ctnn::train::mean_loss(net, ctnn::loss::SoftmaxCrossEntropy{}, test);
    CHECK(validation_loss < 0.3);
}

namespace user {
// A loss written outside the library (docs/training.md shows it): the mean absolute error,
// torch.nn.L1Loss(), with the protocol of ctnn/loss/loss.hpp.
struct MeanAbsoluteError {
    static constexpr std::size_t targets_per_sample(std::size_t outputs) noexcept { return outputs; }

    template <std::size_t Outputs>
    float value_and_gradient(std::span<const float> y, std::span<const float> t, std::span<float> grad,
                             std::size_t mean_over = 0) const noexcept {
        const double n = double(mean_over ? mean_over * Outputs : y.size());
        double total = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
            const double d = double(y[i]) - t[i];
            total += std::abs(d);
            if (!grad.empty()) grad[i] = float((d > 0) - (d < 0)) / float(n);
        }
        return float(total / n);
    }
};
}  // namespace user

TEST_CASE("A loss written by the user trains through the Trainer, on one thread and two", "[train][regression]") {
    using Net = ctnn::Seq<ctnn::Linear<3, 1>>;
    STATIC_REQUIRE(ctnn::loss::LossFor<user::MeanAbsoluteError, 1, float>);
    ctnn::Rng data_rng(3);
    std::vector<float> x(600 * 3), y(600);
    for (std::size_t i = 0; i < 600; ++i) {
        for (std::size_t j = 0; j < 3; ++j) x[3 * i + j] = float(data_rng.uniform(-1, 1));
        y[i] = 0.5f * x[3 * i] - x[3 * i + 1] + 2.0f * x[3 * i + 2] + 0.25f;
    }
    const DataView data(x, y, 3, 1);
    ctnn::ThreadPool pool(2);
    for (ctnn::ThreadPool* p : {static_cast<ctnn::ThreadPool*>(nullptr), &pool}) {
        Net net;
        ctnn::Rng rng(5);
        ctnn::optim::Sgd<Net> sgd({.lr = 0.05f, .momentum = 0.9f});
        ctnn::train::Trainer trainer(net, sgd, user::MeanAbsoluteError{}, data, {.batch = 20}, rng, p);
        trainer.set_lr_schedule(ctnn::optim::CosineLr{.t_max = 40});  // L1's gradient does not shrink: anneal
        double last = 0;
        for (int e = 0; e < 40; ++e) last = trainer.run_epoch();
        INFO("L1 loss " << last);
        CHECK(last < 0.02);
        CHECK(net.layer<0>().weight(0, 2) == Approx(2.0f).margin(0.05));
    }
}

TEST_CASE("An Rng restored from a saved state continues the same stream, Box-Muller spare included", "[train][rng]") {
    ctnn::Rng a(99);
    a.normal();  // leaves the second Box-Muller value pending
    const ctnn::Rng::State saved = a.state();
    REQUIRE(saved.has_spare);
    ctnn::Rng b(1);
    b.restore(saved);
    REQUIRE(b.state() == saved);
    for (int i = 0; i < 10; ++i) {
        REQUIRE(a.normal() == b.normal());
        REQUIRE(a.next() == b.next());
    }
    REQUIRE_FALSE(ctnn::Rng(1).state() == ctnn::Rng(2).state());
}
