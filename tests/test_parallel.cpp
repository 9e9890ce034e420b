// ThreadPool and DataParallel: every thread runs once per task; a batch split across threads
// gives the single-thread gradients of train::loss_and_gradients (up to float summation order),
// bit for bit the same again, for class labels and for float targets.
#include <ctnn/ctnn.hpp>
#include <ctnn/util/thread_pool.hpp>
#include <ctnn/train/data_parallel.hpp>
#include <atomic>
#include <memory>
#include "support.hpp"

using Net = ctnn::Seq<ctnn::Linear<30, 40>, ctnn::ReLU, ctnn::Linear<40, 20>, ctnn::Tanh, ctnn::Linear<20, 7>>;

TEST_CASE("a thread pool runs the task once on each of its threads, many times over", "[parallel]") {
    for (std::size_t threads : {1, 2, 3, 4}) {
        ctnn::ThreadPool pool(threads);
        REQUIRE(pool.size() == threads);
        std::vector<std::atomic<int>> calls(threads);
        for (int round = 0; round < 2000; ++round) {
            auto task = [&](std::size_t i) { calls[i].fetch_add(1); };
            pool.run(task);
        }
        for (auto& c : calls) REQUIRE(c.load() == 2000);
    }
}

TEST_CASE("data-parallel gradients equal single-thread gradients and are deterministic", "[parallel]") {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(4);
    ctnn::init::pytorch_default(*net, rng);
    for (std::size_t batch : {1, 2, 7, 64}) {
        CAPTURE(batch);
        const auto x = test::random_vector(batch * Net::in_size, batch);
        std::vector<int> labels(batch);
        for (std::size_t r = 0; r < batch; ++r) labels[r] = int(r % Net::out_size);

        ctnn::train::StepBuffers<Net> buffers(batch);
        const ctnn::loss::SoftmaxCrossEntropy ce;
        const float loss = ctnn::train::loss_and_gradients(*net, ce, x, labels, buffers);
        const auto& single = buffers.gradients;

        for (std::size_t threads : {1, 2, 3}) {
            CAPTURE(threads);
            ctnn::ThreadPool pool(threads);
            ctnn::train::DataParallel<Net> dp(pool, 64);
            ctnn::Gradients<Net> a, b;
            a.fill(123.0f);  // overwritten, not accumulated
            const float la = dp.loss_and_gradients(*net, ce, x, labels, a);
            const float lb = dp.loss_and_gradients(*net, ce, x, labels, b);
            REQUIRE(la == Approx(loss).epsilon(1e-6));
            test::require_close(a.span(), single.span(), 1e-5, 1e-7, "gradients");
            REQUIRE(la == lb);
            REQUIRE(std::equal(a.span().begin(), a.span().end(), b.span().begin()));
        }
    }
}

TEST_CASE("a data-parallel train step updates as loss, gradients and a whole-block step do", "[parallel]") {
    const std::size_t batch = 20;
    const auto x = test::random_vector(batch * Net::in_size, 99);
    std::vector<int> labels(batch);
    for (std::size_t r = 0; r < batch; ++r) labels[r] = int((3 * r) % Net::out_size);
    ctnn::ThreadPool pool(2);
    ctnn::train::DataParallel<Net> dp(pool, batch);
    auto a = std::make_unique<Net>(), b = std::make_unique<Net>();
    ctnn::Rng ra(5), rb(5);
    ctnn::init::pytorch_default(*a, ra);
    ctnn::init::pytorch_default(*b, rb);
    ctnn::optim::Adam<Net> adam_a({.lr = 1e-2f}), adam_b({.lr = 1e-2f});
    ctnn::Gradients<Net> ga, gb;
    const ctnn::loss::SoftmaxCrossEntropy ce;
    for (int step = 0; step < 5; ++step) {
        const float la = dp.train_step(*a, adam_a, ce, x, labels, ga);
        const float lb = dp.loss_and_gradients(*b, ce, x, labels, gb);
        adam_b.step(*b, gb);
        REQUIRE(la == lb);
    }
    REQUIRE(std::equal(a->parameters(), a->parameters() + Net::parameter_block_size, b->parameters()));
}

TEST_CASE("data-parallel regression: float targets split by rows give the single-thread MSE gradients", "[parallel]") {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(8);
    ctnn::init::pytorch_default(*net, rng);
    const std::size_t batch = 9;  // not a multiple of the thread count
    const auto x = test::random_vector(batch * Net::in_size, 3);
    const auto y = test::random_vector(batch * Net::out_size, 4);
    const ctnn::loss::MeanSquaredError mse;
    ctnn::train::StepBuffers<Net> buffers(batch);
    const float loss = ctnn::train::loss_and_gradients(*net, mse, x, y, buffers);
    ctnn::ThreadPool pool(2);
    ctnn::train::DataParallel<Net> dp(pool, batch);
    ctnn::Gradients<Net> g;
    REQUIRE(dp.loss_and_gradients(*net, mse, x, y, g) == Approx(loss).epsilon(1e-6));
    test::require_close(g.span(), buffers.gradients.span(), 1e-5, 1e-7, "gradients");
}
