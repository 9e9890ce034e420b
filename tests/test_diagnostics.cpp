// Training diagnostics on networks whose answers are known by hand, the kernels behind them
// against their scalar references, and the Trainer's numeric-fault and bad-data checks.
// (tests/test_torch_reference.cpp holds the diagnostics against PyTorch's figures.)
#include <ctnn/ctnn.hpp>
#include <ctnn/kernels/reference.hpp>
#include <ctnn/kernels/statistics.hpp>
#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <vector>
#include "support.hpp"

using ctnn::Linear;
using ctnn::Seq;
namespace train = ctnn::train;
namespace kernels = ctnn::kernels;

namespace {

constexpr float not_a_number = std::numeric_limits<float>::quiet_NaN();
constexpr float inf = std::numeric_limits<float>::infinity();

template <class Op>
void check_count_inactive(float threshold) {
    for (const std::size_t units : {1u, 7u, 16u, 19u, 37u}) {
        const std::size_t rows = 3;
        auto y = test::random_vector(rows * units, 11 + units, 3.0);
        if constexpr (std::is_same_v<Op, kernels::sigmoid_op>)
            for (auto& v : y) v = float(Op::apply(v * 3));  // outputs in (0, 1), some saturated
        if constexpr (std::is_same_v<Op, kernels::tanh_op>)
            for (auto& v : y) v = float(Op::apply(v));
        std::vector<float> active(units, 0.0f), expected_active(units, 0.0f);
        active[0] = expected_active[0] = 1.0f;  // flags already set stay set
        const auto n = kernels::count_inactive<Op>(y.data(), rows, units, threshold, active.data());
        const auto expected =
            kernels::reference::count_inactive<Op>(y.data(), rows, units, threshold, expected_active.data());
        INFO("units " << units);
        CHECK(n == expected);
        CHECK(active == expected_active);
    }
}

}  // namespace

TEST_CASE("weight_sums, all_finite and count_inactive match their scalar references", "[diagnostics][kernels]") {
    for (const std::size_t n : {1u, 15u, 17u, 64u, 77u, 5003u}) {
        INFO("n " << n);
        const auto g = test::random_vector(n, 1), w = test::random_vector(n, 2);
        auto prev = test::random_vector(n, 3), prev_ref = prev;
        const auto s = kernels::weight_sums(g.data(), w.data(), prev.data(), n);
        const auto r = kernels::reference::weight_sums(g.data(), w.data(), prev_ref.data(), n);
        CHECK(s.grad_abs == Approx(r.grad_abs).epsilon(1e-6));
        CHECK(s.grad_square == Approx(r.grad_square).epsilon(1e-6));
        CHECK(s.weight_square == Approx(r.weight_square).epsilon(1e-6));
        CHECK(s.update_square == Approx(r.update_square).epsilon(1e-6));
        CHECK(prev == w);  // ready for the next update
        CHECK(kernels::weight_sums(g.data(), w.data(), nullptr, n).update_square == 0.0);

        std::vector<float> x = test::random_vector(n, 4);
        CHECK(kernels::all_finite(x.data(), n));
        for (const float bad : {not_a_number, inf, -inf}) {
            // Every position of the short ones: each of the kernel's sums, its last vectors, its tail.
            std::vector<std::size_t> positions{0, n / 2, n - 1};
            if (n < 100)
                for (std::size_t at = 0; at < n; ++at) positions.push_back(at);
            for (const std::size_t at : positions) {
                auto y = x;
                y[at] = bad;
                INFO("bad value " << bad << " at " << at);
                CHECK_FALSE(kernels::all_finite(y.data(), n));
            }
        }
        x[0] = std::numeric_limits<float>::max();  // large but finite
        CHECK(kernels::all_finite(x.data(), n));
    }
    check_count_inactive<kernels::relu_op>(kernels::inactive_threshold<kernels::relu_op>(0.01f));
    check_count_inactive<kernels::leaky_relu_op<1, 100>>(kernels::inactive_threshold<kernels::leaky_relu_op<1, 100>>(0.01f));
    check_count_inactive<kernels::sigmoid_op>(kernels::inactive_threshold<kernels::sigmoid_op>(0.01f));
    check_count_inactive<kernels::tanh_op>(kernels::inactive_threshold<kernels::tanh_op>(0.01f));
}

TEST_CASE("Inactive thresholds: ReLU's zero, LeakyReLU's negative side, 1% of the largest slope otherwise",
          "[diagnostics]") {
    CHECK(kernels::inactive_threshold<kernels::relu_op>(0.01f) == 0.01f);
    CHECK(kernels::inactive_threshold<kernels::sigmoid_op>(0.01f) == Approx(0.0025f));
    CHECK(kernels::inactive_threshold<kernels::tanh_op>(0.01f) == 0.01f);
    // The negative side, for any slope and any saturation setting.
    CHECK(kernels::inactive_threshold<kernels::leaky_relu_op<1, 5>>(0.0f) == 0.2f);
}

TEST_CASE("A ReLU unit negative for every input is counted dead", "[diagnostics]") {
    using Net = Seq<Linear<2, 3>, ctnn::ReLU, Linear<3, 2>>;
    Net net;
    auto l0 = net.layer<0>();
    l0.weight(0, 0) = 1;   // unit 0: active for x0 > 0
    l0.weight(2, 0) = -1;  // unit 2: active for x0 < 0
    l0.bias[1] = -1;       // unit 1: weights 0, bias -1: dead
    auto l2 = net.layer<2>();
    for (std::size_t o = 0; o < 2; ++o)
        for (std::size_t i = 0; i < 3; ++i) l2.weight(o, i) = 0.1f * float(o + i + 1);
    const std::vector<float> x = {1, 0.5f, -1, 0.5f, 2, 0.5f, -2, 0.5f};
    const std::vector<int> labels = {0, 1, 0, 1};
    ctnn::optim::Sgd<Net> sgd({.lr = 1e-3f});
    ctnn::Rng rng(5);
    train::Trainer trainer(net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, train::DataView(x, labels, 2), {.batch = 2}, rng);
    train::Diagnostics<Net> diagnostics;
    diagnostics.attach(trainer);
    trainer.run_epoch();
    trainer.run_epoch();

    REQUIRE(diagnostics.epochs().size() == 2);
    for (const auto& r : diagnostics.epochs()) {
        CHECK(r.batches == 2);
        REQUIRE(r.activations.size() == 1);
        const auto& relu = r.activations[0];
        CHECK(relu.position == 1);
        CHECK(relu.layer == "ReLU");
        CHECK(relu.units == 3);
        CHECK(relu.dead_units == 1);
        CHECK(relu.dead == Approx(1.0 / 3));
        CHECK(relu.inactive == Approx(8.0 / 12));  // unit 1 always, units 0 and 2 for half the samples
        CHECK(r.dead_fraction() == Approx(1.0 / 3));
        CHECK(r.inactive_fraction() == Approx(8.0 / 12));
        REQUIRE(r.weights.size() == 2);
        CHECK(r.weights[0].tensor == "0.weight");
        CHECK(r.weights[0].layer == "Linear<2,3>");
        CHECK(r.weights[1].tensor == "2.weight");
    }
    CHECK(diagnostics.batches().empty());  // per_batch is off
}

TEST_CASE("Saturated sigmoid and tanh outputs and LeakyReLU's negative side are counted", "[diagnostics]") {
    using Net = Seq<Linear<1, 2>, ctnn::Sigmoid, Linear<2, 2>, ctnn::Tanh, Linear<2, 3>, ctnn::LeakyReLU, Linear<3, 2>>;
    Net net;
    net.layer<0>().weight(0, 0) = 100;   // sigmoid unit 0: |x| >= 50 for every input: saturated
    net.layer<0>().weight(1, 0) = 0.1f;  // unit 1: near 0: never
    // tanh unit 0 gets 10 * (sigmoid unit 0), saturated only where that is 1; unit 1 gets 0.
    net.layer<2>().weight(0, 0) = 10;
    // LeakyReLU units: t - 0.5, 0.5 - t and -1 of the tanh unit 0's t (1 or about 0): on the
    // negative side for x < 0, for x > 0, and always.
    net.layer<4>().weight(0, 0) = 1;
    net.layer<4>().bias[0] = -0.5f;
    net.layer<4>().weight(1, 0) = -1;
    net.layer<4>().bias[1] = 0.5f;
    net.layer<4>().bias[2] = -1;
    const std::vector<float> x = {1, -1, 0.5f, -0.5f};
    const std::vector<int> labels = {0, 1, 0, 1};
    ctnn::optim::Sgd<Net> sgd({.lr = 1e-6f});
    ctnn::Rng rng(5);
    train::Trainer trainer(net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, train::DataView(x, labels, 1), {.batch = 4}, rng);
    train::Diagnostics<Net> diagnostics({.per_batch = true});
    diagnostics.attach(trainer);
    trainer.run_epoch();

    REQUIRE(diagnostics.batches().size() == 1);
    const auto& r = diagnostics.epochs().at(0);
    REQUIRE(r.activations.size() == 3);
    const auto& sigmoid = r.activations[0];
    CHECK(sigmoid.inactive == Approx(4.0 / 8));
    CHECK(sigmoid.dead_units == 1);
    // Tanh: unit 0 sees 10 * sigmoid(100 x): tanh(10) for x > 0 (saturated), tanh(0) otherwise;
    // unit 1 sees 0: never.
    const auto& tanh = r.activations[1];
    CHECK(tanh.inactive == Approx(2.0 / 8));
    CHECK(tanh.dead_units == 0);
    const auto& leaky = r.activations[2];
    CHECK(leaky.inactive == Approx((2 + 2 + 4) / 12.0));
    CHECK(leaky.dead_units == 1);
    // One batch: the batch record and the epoch record agree.
    const auto& b = diagnostics.batches()[0];
    CHECK(b.batch == 0);
    for (std::size_t k = 0; k < 3; ++k) {
        CHECK(b.activations[k].inactive == r.activations[k].inactive);
        CHECK(b.activations[k].dead_units == r.activations[k].dead_units);
    }
}

TEST_CASE("Weight diagnostics: gradient mean and norm, weight norm, update ratio, epochs average their batches",
          "[diagnostics]") {
    using Net = Seq<Linear<4, 8>, ctnn::Tanh, Linear<8, 3>>;
    Net net;
    ctnn::Rng init_rng(3);
    ctnn::init::pytorch_default(net, init_rng);
    const auto x = test::random_vector(40, 7);
    std::vector<int> labels(10);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = int(i % 3);
    ctnn::optim::Sgd<Net> sgd({.lr = 0.1f});
    ctnn::Rng rng(5);
    train::Trainer trainer(net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, train::DataView(x, labels, 4), {.batch = 5}, rng);
    train::Diagnostics<Net> diagnostics({.per_batch = true});
    diagnostics.attach(trainer);

    // The figures by hand, from the event, after the diagnostics saw it (callbacks run in order).
    std::vector<float> before(net.parameters(), net.parameters() + Net::parameter_block_size);
    std::vector<std::array<double, 4>> expected;  // per batch, layer 0: mean|g|, ||g||, ||W||, ratio
    trainer.on_batch_end([&](const train::BatchEnd<Net>& e) {
        constexpr auto t = Net::tensors[0];
        double abs = 0, g2 = 0, w2 = 0, d2 = 0;
        for (std::size_t i = 0; i < t.info.size(); ++i) {
            const double g = e.gradients.data()[t.offset + i], w = e.net.parameters()[t.offset + i];
            const double d = w - before[t.offset + i];
            abs += std::fabs(g), g2 += g * g, w2 += w * w, d2 += d * d;
        }
        expected.push_back({abs / double(t.info.size()), std::sqrt(g2), std::sqrt(w2), std::sqrt(d2 / w2)});
        before.assign(e.net.parameters(), e.net.parameters() + Net::parameter_block_size);
    });
    trainer.run_epoch();

    REQUIRE(diagnostics.batches().size() == 2);
    REQUIRE(expected.size() == 2);
    std::array<double, 4> mean{};
    for (std::size_t b = 0; b < 2; ++b) {
        const auto& w = diagnostics.batches()[b].weights[0];
        CHECK(w.grad_mean_abs == Approx(expected[b][0]).epsilon(1e-5));
        CHECK(w.grad_norm == Approx(expected[b][1]).epsilon(1e-5));
        CHECK(w.weight_norm == Approx(expected[b][2]).epsilon(1e-5));
        CHECK(w.update_ratio == Approx(expected[b][3]).epsilon(1e-4));
        // Plain SGD: the update is lr * gradient.
        CHECK(w.update_ratio == Approx(0.1 * w.grad_norm / w.weight_norm).epsilon(1e-4));
        for (std::size_t k = 0; k < 4; ++k) mean[k] += expected[b][k] / 2;
    }
    const auto& epoch = diagnostics.epochs().at(0).weights[0];
    CHECK(epoch.grad_mean_abs == Approx(mean[0]).epsilon(1e-5));
    CHECK(epoch.grad_norm == Approx(mean[1]).epsilon(1e-5));
    CHECK(epoch.weight_norm == Approx(expected[1][2]).epsilon(1e-5));  // at the epoch's end
    CHECK(epoch.update_ratio == Approx(mean[3]).epsilon(1e-4));
}

TEST_CASE("Diagnostics agree whether a batch ran on one thread or was split across two", "[diagnostics][parallel]") {
    using Net = Seq<Linear<6, 32>, ctnn::ReLU, Linear<32, 32>, ctnn::ReLU, Linear<32, 4>>;
    const auto x = test::random_vector(6 * 64, 9);
    std::vector<int> labels(64);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = int(i * 7 % 4);
    auto run = [&](ctnn::ThreadPool* pool) {
        Net net;
        ctnn::Rng rng(1);
        ctnn::init::normal(net, rng);
        ctnn::optim::Adam<Net> adam({.lr = 1e-3f});
        train::Trainer trainer(net, adam, ctnn::loss::SoftmaxCrossEntropy{}, train::DataView(x, labels, 6), {.batch = 16},
                               rng, pool);
        train::Diagnostics<Net> diagnostics;
        diagnostics.attach(trainer);
        trainer.run_epoch();
        return diagnostics.epochs().at(0);
    };
    ctnn::ThreadPool pool(2);
    const auto one = run(nullptr), two = run(&pool);
    REQUIRE(one.activations.size() == 2);
    for (std::size_t k = 0; k < 2; ++k) {
        CHECK(one.activations[k].inactive == Approx(two.activations[k].inactive).epsilon(1e-3));
        CHECK(one.activations[k].dead_units == two.activations[k].dead_units);
    }
    CHECK(one.activations[0].inactive > 0.2);  // N(0, 1) weights: a good share of zeros
    for (std::size_t k = 0; k < 3; ++k) CHECK(one.weights[k].grad_norm == Approx(two.weights[k].grad_norm).epsilon(1e-3));
}

TEST_CASE("Diagnostics print a table and CSV columns that match their values", "[diagnostics]") {
    train::DiagnosticsRecord r;
    r.epoch = 2;
    r.batches = 600;
    r.weights.push_back({.position = 0, .layer = "Linear<784, 256>", .tensor = "0.weight", .grad_mean_abs = 1.5e-3,
                         .grad_norm = 0.25, .weight_norm = 280, .update_ratio = 2e-4});
    r.activations.push_back({.position = 1, .layer = "ReLU", .units = 256, .inactive = 0.5, .dead = 0.125, .dead_units = 32});
    CHECK(train::diagnostics_csv_header(r) ==
          "layer0_grad_mean_abs,layer0_grad_norm,layer0_weight_norm,layer0_update_ratio,layer1_inactive,layer1_dead");
    CHECK(train::diagnostics_csv_values(r) == "0.0015,0.25,280,0.0002,0.5,0.125");
    const test::TempDir dir;
    const auto file = dir / "table.txt";
    std::FILE* out = std::fopen(file.c_str(), "w");
    REQUIRE(out);
    train::print_diagnostics(out, r);
    std::fclose(out);
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_THAT(text, Catch::Contains("epoch 3 (600 batches)"));
    CHECK_THAT(text, Catch::Contains("0 Linear<784, 256>"));
    CHECK_THAT(text, Catch::Contains("1.500e-03"));
    CHECK_THAT(text, Catch::Contains("12.50%"));
    CHECK_THAT(text, Catch::Contains("32/256"));
}

// ---------------------------------------------------------------- numeric faults and bad data

namespace {
using FaultNet = Seq<Linear<2, 2>>;

struct FaultRun {
    std::vector<float> x = {1, 2, -1, 0.5f, 3, -2, 0.25f, 1, -3, 2, 1, 1, 2, 2, -1, -1};
    std::vector<float> targets = {0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1};
    FaultNet net;
    // After the first update the weights are about 1e30, the outputs too, and their squared error
    // overflows: every later loss is infinite.
    ctnn::optim::Sgd<FaultNet> sgd{{.lr = 1e30f}};
    ctnn::Rng rng{3};
    FaultRun() {
        for (std::size_t i = 0; i < FaultNet::parameter_block_size; ++i) net.parameters()[i] = 0.5f + 0.1f * float(i % 5);
    }
};
}  // namespace

TEST_CASE("A non-finite loss stops training with the epoch, batch and last finite loss, the model keeps its weights",
          "[diagnostics][faults]") {
    ctnn::ThreadPool pool(2);
    for (ctnn::ThreadPool* p : {static_cast<ctnn::ThreadPool*>(nullptr), &pool}) {
        INFO((p ? "two threads" : "one thread"));
        FaultRun run;
        train::Trainer trainer(run.net, run.sgd, ctnn::loss::MeanSquaredError{},
                               train::DataView(run.x, run.targets, 2, 2), {.batch = 2}, run.rng, p);
        std::vector<float> after_last_update;
        float first_loss = 0;
        trainer.on_batch_end([&](const train::BatchEnd<FaultNet>& e) {
            after_last_update.assign(e.net.parameters(), e.net.parameters() + FaultNet::parameter_block_size);
            if (e.batch == 0) first_loss = e.loss;
        });
        try {
            trainer.run_epoch();
            FAIL("no NumericFault");
        } catch (const train::NumericFault& fault) {
            CHECK(fault.epoch == 0);
            CHECK(fault.batch == 1);
            CHECK_FALSE(std::isfinite(fault.loss));
            CHECK(fault.last_finite_loss == first_loss);
            const std::string what = fault.what();
            CHECK_THAT(what, Catch::Contains("training stopped at epoch 1, batch 2 of 4"));
            CHECK_THAT(what, Catch::Contains("the last finite loss was " + std::to_string(first_loss).substr(0, 4)));
            CHECK_THAT(what, Catch::Contains("skip_batch"));
        }
        // The faulty batch's update was not applied.
        const std::vector<float> now(run.net.parameters(), run.net.parameters() + FaultNet::parameter_block_size);
        CHECK(now == after_last_update);
    }
}

TEST_CASE("skip_batch leaves faulty batches out and goes on", "[diagnostics][faults]") {
    FaultRun run;
    train::Trainer trainer(run.net, run.sgd, ctnn::loss::MeanSquaredError{}, train::DataView(run.x, run.targets, 2, 2),
                           {.batch = 2}, run.rng);
    trainer.on_numeric_fault(train::NumericFaultPolicy::skip_batch);
    train::Diagnostics<FaultNet> diagnostics;
    diagnostics.attach(trainer);
    std::size_t skipped_events = 0, skipped_in_epoch = 0;
    trainer.on_batch_end([&](const train::BatchEnd<FaultNet>& e) { skipped_events += e.skipped; });
    trainer.on_epoch_end([&](const train::EpochEnd<FaultNet>& e) { skipped_in_epoch = e.skipped_batches; });
    const double mean = trainer.run_epoch();
    CHECK(skipped_events == 3);  // after the first update every loss overflows
    CHECK(skipped_in_epoch == 3);
    CHECK(std::isfinite(mean));  // the mean of the one applied batch
    CHECK(diagnostics.epochs().at(0).batches == 1);
    CHECK(std::isfinite(diagnostics.epochs().at(0).weights[0].grad_norm));
}

TEST_CASE("Training data with NaN or infinity is refused before training, naming where", "[diagnostics][faults]") {
    using Net = Seq<Linear<3, 2>>;
    Net net;
    ctnn::optim::Sgd<Net> sgd({.lr = 0.1f});
    ctnn::Rng rng(1);
    std::vector<float> x(12, 0.5f);
    std::vector<int> labels = {0, 1, 0, 1};
    x[2 * 3 + 1] = not_a_number;
    try {
        train::Trainer trainer(net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, train::DataView(x, labels, 3), {.batch = 2}, rng);
        FAIL("accepted NaN data");
    } catch (const std::invalid_argument& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("holds nan at sample 2, feature 1"));
    }
    // Float targets (regression) are checked too.
    x[2 * 3 + 1] = 0.5f;
    std::vector<float> targets(8, 0.0f);
    targets[3 * 2 + 0] = -inf;
    try {
        train::Trainer trainer(net, sgd, ctnn::loss::MeanSquaredError{}, train::DataView(x, targets, 3, 2), {.batch = 2}, rng);
        FAIL("accepted an infinite target");
    } catch (const std::invalid_argument& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("holds -inf at sample 3, target 0"));
    }
}
