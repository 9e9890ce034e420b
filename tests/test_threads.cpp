// Threads: one const model serves several inference threads while other threads load weights into
// a second model and train a third on a thread pool that two callers share. Run under
// ThreadSanitizer by tools/run-tests.sh tsan, where any data race fails the test; elsewhere it
// checks that every result is what one thread alone computes.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/train/data_parallel.hpp>
#include <atomic>
#include <thread>
#include <vector>
#include "support.hpp"

namespace {
using Net = ctnn::Seq<ctnn::Linear<24, 32>, ctnn::Tanh, ctnn::Linear<32, 16>, ctnn::ReLU, ctnn::Linear<16, 4>>;

#if defined(__SANITIZE_THREAD__)
constexpr int rounds = 200;  // ThreadSanitizer makes each step some 10x slower
#else
constexpr int rounds = 2000;
#endif
}  // namespace

TEST_CASE("a shared const model serves inference threads while others load and train", "[threads]") {
    Net shared;
    ctnn::Rng rng(21);
    ctnn::init::pytorch_default(shared, rng);
    const Net& model = shared;
    const auto x = test::random_vector(8 * Net::in_size, 22, 1.5);
    std::vector<float> expected(8 * Net::out_size);
    ctnn::InferenceScratch<Net> scratch(8);
    model.forward(x, expected, scratch);
    const auto bytes = ctnn::io::safetensors_bytes(shared);

    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            ctnn::InferenceScratch<Net> own(8);  // one scratch per thread; the model is shared
            std::vector<float> y(8 * Net::out_size);
            for (int i = 0; i < rounds; ++i) {
                if ((i + t) % 2) {
                    model.forward(x, y, own);
                } else {
                    for (std::size_t r = 0; r < 8; ++r)
                        model.forward(std::span<const float, Net::in_size>(x.data() + r * Net::in_size, Net::in_size),
                                      std::span<float, Net::out_size>(y.data() + r * Net::out_size, Net::out_size));
                }
                for (std::size_t k = 0; k < y.size(); ++k)
                    if (std::abs(y[k] - expected[k]) > 1e-5f) wrong.fetch_add(1);
            }
        });
    threads.emplace_back([&] {  // loads the shared model's file into a second model, over and over
        Net loaded;
        for (int i = 0; i < rounds / 10; ++i) {
            ctnn::io::load_safetensors(loaded, bytes);
            if (!std::equal(loaded.parameters(), loaded.parameters() + Net::parameter_block_size, shared.parameters()))
                wrong.fetch_add(1);
        }
    });
    ctnn::ThreadPool pool(2);
    for (int trainer = 0; trainer < 2; ++trainer)
        threads.emplace_back([&, trainer] {  // two trainers share one pool: its runs take turns
            Net net;
            ctnn::Rng own(std::uint64_t(30 + trainer));
            ctnn::init::pytorch_default(net, own);
            ctnn::train::DataParallel<Net> parallel(pool, 8);
            ctnn::Gradients<Net> grads;
            ctnn::optim::Adam<Net> adam({.lr = 0.01f});
            std::vector<int> labels(8);
            for (std::size_t r = 0; r < 8; ++r) labels[r] = int(r % 4);
            const ctnn::loss::SoftmaxCrossEntropy loss;
            const float first = parallel.train_step(net, adam, loss, x, labels, grads);
            float last = first;
            for (int i = 0; i < rounds / 10; ++i) last = parallel.train_step(net, adam, loss, x, labels, grads);
            if (!(last < first)) wrong.fetch_add(1);
        });
    for (auto& t : threads) t.join();
    REQUIRE(wrong.load() == 0);
}

TEST_CASE("a thread pool serves concurrent callers one run at a time", "[threads]") {
    ctnn::ThreadPool pool(3);
    std::atomic<int> inside{0}, overlaps{0}, calls{0};
    auto caller = [&] {
        for (int i = 0; i < rounds; ++i) {
            auto task = [&](std::size_t) {
                if (inside.fetch_add(1) >= 3) overlaps.fetch_add(1);  // more than one run's threads at once
                calls.fetch_add(1);
                inside.fetch_sub(1);
            };
            pool.run(task);
        }
    };
    std::thread a(caller), b(caller);
    a.join();
    b.join();
    REQUIRE(overlaps.load() == 0);
    REQUIRE(calls.load() == 2 * rounds * 3);
}
