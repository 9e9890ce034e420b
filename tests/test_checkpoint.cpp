// Training checkpoints (io/checkpoint.hpp): a run saved to a file and loaded into fresh objects
// continues bit for bit, and a file that does not fit is refused with nothing changed.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>
#include <algorithm>
#include <string>
#include <vector>
#include "support.hpp"

namespace {
using Net = ctnn::Seq<ctnn::Linear<6, 10>, ctnn::Tanh, ctnn::Linear<10, 3>>;

struct Data {
    std::vector<float> x;
    std::vector<int> y;
    Data() {
        ctnn::Rng rng(17);
        for (int i = 0; i < 120; ++i) {
            float s = 0;
            for (int j = 0; j < 6; ++j) {
                x.push_back(float(rng.uniform(-1, 1)));
                s += x.back() * float(j - 2);
            }
            y.push_back(s < -1 ? 0 : s < 1 ? 1 : 2);
        }
    }
    ctnn::train::DataView<int> view() const { return {x, y, 6}; }
};

bool same_parameters(const Net& a, const Net& b) {
    return std::equal(a.parameters(), a.parameters() + Net::parameter_block_size, b.parameters());
}
}  // namespace

TEST_CASE("a run saved to a checkpoint file and loaded into fresh objects continues bit for bit", "[io][checkpoint]") {
    const Data data;
    const ctnn::loss::SoftmaxCrossEntropy ce;
    const test::TempDir dir;
    const auto file = dir.path / "run.safetensors";

    Net net;
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(net, rng);
    ctnn::optim::Adam<Net> adam({.lr = 0.01f});
    ctnn::train::Trainer trainer(net, adam, ce, data.view(), {.batch = 12}, rng);
    trainer.set_lr_schedule(ctnn::optim::StepLr{.step_size = 2, .gamma = 0.5f});
    trainer.run_epoch();
    trainer.run_epoch();
    ctnn::io::save_checkpoint(file, net, adam, rng, trainer.epochs_done());
    const double third = trainer.run_epoch();

    Net resumed;
    ctnn::Rng rng2(999);  // another seed: the file decides
    ctnn::optim::Adam<Net> adam2({.lr = 0.01f});
    const std::size_t epochs = ctnn::io::load_checkpoint(file, resumed, adam2, rng2);
    REQUIRE(epochs == 2);
    REQUIRE(adam2.steps() == 2 * 10);
    ctnn::train::Trainer again(resumed, adam2, ce, data.view(), {.batch = 12}, rng2);
    again.set_lr_schedule(ctnn::optim::StepLr{.step_size = 2, .gamma = 0.5f});
    again.set_epochs_done(epochs);
    REQUIRE(again.run_epoch() == third);
    REQUIRE(same_parameters(net, resumed));
    REQUIRE(rng2.state() == rng.state());
    for (std::size_t k = 0; k < 2; ++k)
        REQUIRE(std::equal(adam.state_blocks()[k].values.begin(), adam.state_blocks()[k].values.end(),
                           adam2.state_blocks()[k].values.begin()));

    SECTION("a checkpoint is refused, with nothing changed, by another optimizer or a weights-only load") {
        Net other;
        ctnn::Rng rng3(5);
        ctnn::init::pytorch_default(other, rng3);
        const Net before = other;
        ctnn::optim::Sgd<Net> sgd({.lr = 0.1f, .momentum = 0.9f});
        const auto state = rng3.state();
        REQUIRE_THROWS_WITH(ctnn::io::load_checkpoint(file, other, sgd, rng3),
                            Catch::Contains("optimizer.momentum_buffer.0.weight") && Catch::Contains("missing"));
        REQUIRE(same_parameters(other, before));
        REQUIRE(rng3.state() == state);
        REQUIRE(sgd.steps() == 0);
        REQUIRE_THROWS_WITH(ctnn::io::load_safetensors(other, file), Catch::Contains("load_checkpoint"));
    }
    SECTION("a model's weights file is not a checkpoint") {
        const auto weights = dir.path / "weights.safetensors";
        ctnn::io::save_safetensors(net, weights);
        Net fresh;
        ctnn::optim::Adam<Net> adam3;
        ctnn::Rng rng3;
        REQUIRE_THROWS_WITH(ctnn::io::load_checkpoint(weights, fresh, adam3, rng3),
                            Catch::Contains("weights.safetensors") && Catch::Contains("missing"));
    }
}
