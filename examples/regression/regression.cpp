// A regression through the same Trainer as the classifiers: a small network learns
// y = sin(x) on [-pi, pi] with the mean squared error, then reports its error on points it
// never saw. Exit status 0 only if the validation MSE is below 1e-3 (the ctest checks this).
#include <ctnn/ctnn.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

using Net = ctnn::Seq<ctnn::Linear<1, 32>, ctnn::Tanh, ctnn::Linear<32, 32>, ctnn::Tanh, ctnn::Linear<32, 1>>;

int main() {
    constexpr double pi = std::numbers::pi;
    ctnn::Rng rng(2024);
    std::vector<float> x(2500), y(2500);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = float(rng.uniform(-pi, pi));
        y[i] = float(std::sin(double(x[i])));
    }
    // One feature and one float target per sample; the last 500 samples validate.
    const auto data = ctnn::train::split(ctnn::train::DataView(x, y, 1, 1), 500);
    const auto& validation = data.validation;

    Net net;
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 1e-2f});
    const ctnn::loss::MeanSquaredError mse;
    ctnn::train::Trainer trainer(net, adam, mse, data.train, {.batch = 32}, rng);
    constexpr std::size_t epochs = 60;
    trainer.set_lr_schedule(ctnn::optim::CosineLr{.t_max = epochs, .eta_min = 1e-4f});
    trainer.on_epoch_end([&](const ctnn::train::EpochEnd<Net>& e) {
        if ((e.epoch + 1) % 10 == 0)
            std::printf("epoch %2zu: training loss %.6f, validation loss %.6f\n", e.epoch + 1, e.mean_loss,
                        ctnn::train::mean_loss(e.net, mse, validation));
    });
    for (std::size_t epoch = 0; epoch < epochs; ++epoch) trainer.run_epoch();

    const auto result = ctnn::train::evaluate(net, validation);
    std::printf("final MSE %.6f on %zu validation points (largest error %.4f)\n", result.mse(), result.total,
                result.max_abs_error);
    for (double at : {-pi / 2, 0.0, 1.0, pi / 2}) {
        const std::array<float, 1> in{float(at)};
        std::array<float, 1> out;
        net.forward(in, out);
        std::printf("sin(%+.4f) = %+.4f, the network says %+.4f\n", at, std::sin(at), double(out[0]));
    }
    return result.mse() < 1e-3 ? 0 : 1;
}
