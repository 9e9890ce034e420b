// The real-time contract: single-sample and batch inference never allocate, never throw, and a
// const model can be shared by threads. Allocations are counted by allocation_counter.hpp.
#include <ctnn/ctnn.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include "allocation_counter.hpp"
#include "support.hpp"

using test::allocations;

using Net = ctnn::Seq<ctnn::Linear<64, 128>, ctnn::Tanh, ctnn::Linear<128, 64>, ctnn::LeakyReLU, ctnn::Linear<64, 8>>;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int inferences = 100'000;  // the sanitizers make each one 10 to 40x slower
constexpr int batches = 1'000;
#else
constexpr int inferences = 1'000'000;
constexpr int batches = 10'000;
#endif

TEST_CASE("a million single-sample inferences allocate nothing", "[realtime]") {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(*net, rng);
    const Net& model = *net;
    std::array<float, 64> x{};
    std::array<float, 8> y{};
    STATIC_REQUIRE(noexcept(model.forward(x, y)));
    float checksum = 0;
    const long before = allocations.load();
    for (int i = 0; i < inferences; ++i) {
        x[std::size_t(i) % 64] = float(i % 7) * 0.1f;
        model.forward(x, y);
        checksum += y[std::size_t(i) % 8];
    }
    const long after = allocations.load();
    REQUIRE(after - before == 0);
    REQUIRE(std::isfinite(checksum));
}

TEST_CASE("batch inference with a scratch allocates nothing", "[realtime]") {
    auto net = std::make_unique<Net>();
    ctnn::InferenceScratch<Net> scratch(32);
    std::vector<float> x(32 * 64, 0.5f), y(32 * 8);
    STATIC_REQUIRE(noexcept(net->forward(std::span<const float>(x), std::span<float>(y), scratch)));
    const long before = allocations.load();
    for (int i = 0; i < batches; ++i) {
        const std::size_t batch = 1 + std::size_t(i) % 32;
        net->forward(std::span(x).first(batch * 64), std::span(y).first(batch * 8), scratch);
    }
    REQUIRE(allocations.load() - before == 0);
}

TEST_CASE("bf16 inference allocates nothing, one sample or a batch", "[realtime][bf16]") {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(*net, rng);
    const ctnn::Bf16Model<Net> model(*net);  // converting allocates, once
    ctnn::InferenceScratch<Net> scratch(32);
    std::array<float, 64> x{};
    std::array<float, 8> y{};
    std::vector<float> xs(32 * 64, 0.5f), ys(32 * 8);
    STATIC_REQUIRE(noexcept(model.forward(x, y)));
    float checksum = 0;
    const long before = allocations.load();
    for (int i = 0; i < batches; ++i) {
        x[std::size_t(i) % 64] = float(i % 7) * 0.1f;
        model.forward(x, y);
        const std::size_t batch = 1 + std::size_t(i) % 32;
        model.forward(std::span(xs).first(batch * 64), std::span(ys).first(batch * 8), scratch);
        checksum += y[std::size_t(i) % 8] + ys[0];
    }
    REQUIRE(allocations.load() - before == 0);
    REQUIRE(std::isfinite(checksum));
}

TEST_CASE("training steps allocate nothing once the buffers exist", "[realtime]") {
    auto net = std::make_unique<Net>();
    ctnn::Workspace<Net> ws(16);
    ctnn::Gradients<Net> grads;
    ctnn::optim::Adam<Net> adam;
    std::vector<float> x(16 * 64, 0.25f), dlogits(16 * 8);
    std::vector<int> labels(16, 3);
    const long before = allocations.load();
    for (int i = 0; i < 1000; ++i) {
        const auto logits = net->train_forward(x, ws);
        ctnn::loss::softmax_cross_entropy<8, int>(logits, labels, dlogits);
        grads.zero();
        net->backward(x, dlogits, ws, grads);
        adam.step(*net, grads);
    }
    REQUIRE(allocations.load() - before == 0);
}

TEST_CASE("one const model serves several threads at once", "[realtime]") {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(2);
    ctnn::init::pytorch_default(*net, rng);
    const Net& model = *net;
    std::array<float, 64> x{};
    for (std::size_t i = 0; i < 64; ++i) x[i] = float(i) / 64.0f;
    std::array<float, 8> expected;
    model.forward(x, expected);
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            std::array<float, 8> y;
            for (int i = 0; i < 20000; ++i) {
                model.forward(x, y);
                if (y != expected) mismatches.fetch_add(1);
            }
        });
    for (auto& t : threads) t.join();
    REQUIRE(mismatches.load() == 0);
}
