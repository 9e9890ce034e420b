#include <ctnn/ctnn.hpp>
#include <cstdio>
#include <vector>

// Which quadrant is a point in? 2 features in, 4 classes out.
using Net = ctnn::Seq<ctnn::Linear<2, 16>, ctnn::ReLU, ctnn::Linear<16, 4>>;

int main() {
    ctnn::Rng rng(7);
    std::vector<float> points;
    std::vector<int> quadrant;
    for (int i = 0; i < 2000; ++i) {
        const float x = float(rng.uniform(-1, 1)), y = float(rng.uniform(-1, 1));
        points.insert(points.end(), {x, y});
        quadrant.push_back((x < 0) + 2 * (y < 0));
    }
    // Views of the vectors (no copy): 1500 samples to train on, 500 to test with.
    const auto [train, test] = ctnn::train::split(ctnn::train::DataView(points, quadrant, 2), 500);

    Net net;
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 0.01f});
    ctnn::train::Trainer trainer(net, adam, ctnn::loss::SoftmaxCrossEntropy{}, train, {.batch = 50}, rng);
    trainer.on_epoch_end([](const auto& e) { std::printf("epoch %zu: loss %.4f\n", e.epoch + 1, e.mean_loss); });
    for (int epoch = 0; epoch < 10; ++epoch) trainer.run_epoch();
    std::printf("test accuracy %.3f\n", ctnn::train::evaluate(net, test).accuracy());
}
