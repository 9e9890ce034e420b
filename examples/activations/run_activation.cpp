// train_network<Activation, Hidden> for the activation named by ACTIVATION (set per object by
// CMakeLists.txt): the study note's recipe (Adam, lr 0.001, batches of 100, shuffled, the last
// partial batch dropped) on one network, with the Diagnostics callback recording every batch.
#include "activations.hpp"
#include <chrono>
#include <ctnn/train/progress.hpp>
#include <ctnn/train/trainer.hpp>

namespace activations {

template <class Activation, std::size_t Hidden>
RunResult train_network(const Setup& setup, Init init) {
    using Net = Mlp<Activation, Hidden>;
    const auto start = std::chrono::steady_clock::now();
    Net net;
    ctnn::Rng rng(setup.seed);
    if (init == Init::normal) ctnn::init::normal(net, rng);
    else ctnn::init::pytorch_default(net, rng);

    const ctnn::train::ByteImageView train(setup.train->images.pixels, setup.train->labels.labels, 784);
    const ctnn::train::ByteImageView test(setup.test->images.pixels, setup.test->labels.labels, 784);
    ctnn::optim::Adam<Net> adam({.lr = 0.001f});
    ctnn::ThreadPool pool(setup.threads);
    ctnn::train::Trainer trainer(net, adam, ctnn::loss::SoftmaxCrossEntropy{}, train, {.batch = 100}, rng, &pool);
    ctnn::train::Progress progress;
    progress.attach(trainer);
    ctnn::train::Diagnostics<Net> diagnostics({.per_batch = true});
    diagnostics.attach(trainer);

    RunResult r;
    double window_loss = 0, window_grad = 0;
    std::size_t in_window = 0;
    trainer.on_batch_end([&](const ctnn::train::BatchEnd<Net>& b) {
        window_loss += b.loss;
        window_grad += diagnostics.batches().back().weights.front().grad_mean_abs;
        if (++in_window == setup.window || b.batch + 1 == b.batches) {
            r.window_epoch.push_back(double(b.epoch) + double(b.batch + 1) / double(b.batches));
            r.window_cost.push_back(window_loss / double(in_window));
            r.window_grad.push_back(window_grad / double(in_window));
            window_loss = window_grad = 0;
            in_window = 0;
        }
    });
    for (int epoch = 1; epoch <= setup.epochs; ++epoch) {
        progress.label("%s epoch %d/%d", setup.label.c_str(), epoch, setup.epochs);
        trainer.run_epoch();
    }

    const auto& first = diagnostics.batches().front();
    for (const auto& w : first.weights) r.layer_grads.push_back(w.grad_mean_abs);
    r.hidden = Hidden;
    r.first_batch_grad = r.layer_grads.front();
    r.first_last_ratio = r.layer_grads.front() / r.layer_grads.back();
    r.first_epoch_grad = diagnostics.epochs().front().weights.front().grad_mean_abs;
    for (const auto& e : diagnostics.epochs()) r.epoch_dead.push_back(e.dead_fraction());
    r.dead = r.epoch_dead.back();
    r.inactive = diagnostics.epochs().back().inactive_fraction();
    r.accuracy = ctnn::train::evaluate(net, test).accuracy();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

template RunResult train_network<ACTIVATION, 2>(const Setup&, Init);
template RunResult train_network<ACTIVATION, 5>(const Setup&, Init);
template RunResult train_network<ACTIVATION, 10>(const Setup&, Init);

}  // namespace activations
