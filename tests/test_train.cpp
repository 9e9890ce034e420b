// ctnn::train: the batch order (every sample once per epoch, drop_last, a seed reproduces it),
// byte-to-float batches, the epoch loop's mean cost, evaluation, the progress bar, no allocation
// per batch, and a classifier that learns a small synthetic data set in well under a second.
#include <ctnn/ctnn.hpp>
#include <ctnn/train/batch.hpp>
#include <ctnn/train/batch_sampler.hpp>
#include <ctnn/train/dataset.hpp>
#include <ctnn/train/evaluate.hpp>
#include <ctnn/train/progress.hpp>
#include <ctnn/train/trainer.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>
#include "support.hpp"

#include "allocation_counter.hpp"

using ctnn::train::Batch;
using ctnn::train::BatchOptions;
using ctnn::train::BatchSampler;
using ctnn::train::DatasetView;

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
    DatasetView view() const { return {pixels, labels, size}; }
};

}  // namespace

TEST_CASE("Every sample is in exactly one batch per epoch; the last batch is short without drop_last",
          "[train][batches]") {
    BatchSampler s(103, {.batch = 10, .shuffle = true, .drop_last = false}, ctnn::Rng(5));
    REQUIRE(s.batches() == 11);
    for (int epoch = 0; epoch < 3; ++epoch) {
        auto all = epoch_order(s);
        REQUIRE(s.batch(10).size() == 3);
        REQUIRE(all.size() == 103);
        std::sort(all.begin(), all.end());
        for (std::uint32_t i = 0; i < 103; ++i) REQUIRE(all[i] == i);
    }
}

TEST_CASE("drop_last drops the partial batch; samples are distinct and the dropped ones vary", "[train][batches]") {
    BatchSampler s(103, {.batch = 10}, ctnn::Rng(5));  // defaults: shuffle, drop_last
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
    BatchSampler small(7, {.batch = 10}, ctnn::Rng(1));
    REQUIRE(small.batches() == 0);
}

TEST_CASE("A seed reproduces every epoch's order; another seed gives another; no shuffle is the identity",
          "[train][batches]") {
    BatchSampler a(1000, {.batch = 32}, ctnn::Rng(42)), b(1000, {.batch = 32}, ctnn::Rng(42)),
        c(1000, {.batch = 32}, ctnn::Rng(43));
    std::vector<std::uint32_t> previous;
    for (int epoch = 0; epoch < 3; ++epoch) {
        const auto oa = epoch_order(a);
        REQUIRE(oa == epoch_order(b));
        REQUIRE(oa != epoch_order(c));
        REQUIRE(oa != previous);  // epochs differ from each other
        previous = oa;
    }
    BatchSampler plain(50, {.batch = 8, .shuffle = false, .drop_last = false}, ctnn::Rng(0));
    const auto order = epoch_order(plain);
    for (std::uint32_t i = 0; i < 50; ++i) REQUIRE(order[i] == i);
}

TEST_CASE("A batch holds the chosen samples as bytes / 255 and their labels", "[train][batches]") {
    const std::vector<std::uint8_t> pixels{0, 255, 1, 2, 128, 3, 4, 5, 6};
    const std::vector<std::uint8_t> labels{7, 8, 9};
    const DatasetView data(pixels, labels, 3);
    Batch b(4, 3);
    const std::uint32_t idx[] = {2, 0};
    b.gather(data, idx);
    REQUIRE(b.size() == 2);
    const std::vector<float> expected{4 / 255.0f, 5 / 255.0f, 6 / 255.0f, 0.0f, 1.0f, 1 / 255.0f};
    REQUIRE(std::vector<float>(b.inputs().begin(), b.inputs().end()) == expected);
    REQUIRE(b.labels()[0] == 9);
    REQUIRE(b.labels()[1] == 7);
    b.gather(data, 1, 2);
    REQUIRE(b.inputs()[1] == 128 / 255.0f);
    REQUIRE(b.labels()[1] == 9);
    REQUIRE(data.slice(1, 2).sample(0)[1] == 128);
}

TEST_CASE("run_epoch returns the mean of the batch losses", "[train]") {
    using Net = ctnn::Seq<ctnn::Linear<8, 6>, ctnn::Tanh, ctnn::Linear<6, 3>>;
    const Synthetic s(3, 20, 8, 9, 60);  // 60 samples
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(*net, rng);
    ctnn::optim::Sgd<Net> frozen({.lr = 0.0f});  // the net does not change: losses are comparable
    const BatchOptions opt{.batch = 16};         // 3 full batches, 12 samples dropped
    ctnn::train::Trainer trainer(*net, frozen, s.view(), opt, ctnn::Rng(77));
    REQUIRE(trainer.batches_per_epoch() == 3);
    const double cost = trainer.run_epoch();

    BatchSampler sampler(60, opt, ctnn::Rng(77));  // the same order as the trainer's
    sampler.start_epoch();
    Batch b(16, 8);
    ctnn::Workspace<Net> ws(16);
    double sum = 0;
    for (std::size_t k = 0; k < 3; ++k) {
        b.gather(s.view(), sampler.batch(k));
        sum += ctnn::loss::softmax_cross_entropy<3, std::uint8_t>(net->train_forward(b.inputs(), ws), b.labels());
    }
    REQUIRE(cost == Approx(sum / 3).epsilon(1e-6));
    REQUIRE(trainer.epochs_done() == 1);
}

TEST_CASE("Evaluation: accuracy, confusion matrix, first largest logit wins", "[train]") {
    // Identity weights: the prediction is the position of the largest input byte.
    using Net = ctnn::Seq<ctnn::Linear<3, 3>>;
    Net net;
    for (int i = 0; i < 3; ++i) net.layer<0>().weight(i, i) = 1.0f;
    const std::vector<std::uint8_t> pixels{9, 0, 0, /**/ 0, 9, 0, /**/ 0, 0, 9, /**/ 5, 5, 0, /**/ 0, 1, 0};
    const std::vector<std::uint8_t> labels{0, 1, 1, 1, 1};
    const auto e = ctnn::train::evaluate(net, DatasetView(pixels, labels, 3), 2);  // batches of 2, 2, 1
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
    ctnn::train::Trainer trainer(*net, adam, s.view(), {.batch = 10}, rng);
    std::FILE* f = std::tmpfile();
    ctnn::train::Progress progress(f, true);
    progress.label("epoch %d", 1);
    trainer.run_epoch(&progress);  // the first epoch may let stdio set up its buffer
    const long before = test::allocations.load();
    for (int e = 0; e < 3; ++e) {
        progress.label("epoch %d", e + 2);
        trainer.run_epoch(&progress);
    }
    const long during = test::allocations.load() - before;
    std::fclose(f);
    REQUIRE(during == 0);
}

TEST_CASE("A classifier learns a synthetic 10-class data set", "[train][accuracy]") {
    using Net = ctnn::Seq<ctnn::Linear<64, 32>, ctnn::ReLU, ctnn::Linear<32, 10>>;
    const Synthetic train(10, 200, 64, 1, 90);  // 2000 samples
    const Synthetic test(10, 50, 64, 2, 90);    // 500 samples, the same classes
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(7);
    ctnn::init::pytorch_default(*net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 3e-3f});
    ctnn::train::Trainer trainer(*net, adam, train.view(), {.batch = 50}, rng);
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
        ctnn::train::Trainer trainer(*net, adam, train.view(), {.batch = 50}, rng, p);
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
