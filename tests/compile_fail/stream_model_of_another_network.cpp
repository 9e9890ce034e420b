// EXPECT: ctnn::error::MODEL_IS_ANOTHER_NETWORK<ctnn::Seq<ctnn::Input<1, 64>, ctnn::GRU<1, 16>
// A stream of one network stepped through a StreamModel of another: its parameters would be
// read in the wrong layout.
#include <ctnn/ctnn.hpp>
#include <memory>
using Net = ctnn::Seq<ctnn::Input<1, 64>, ctnn::GRU<1, 16>, ctnn::Conv1D<16, 1, 1>>;
using Other = ctnn::Seq<ctnn::Input<1, 64>, ctnn::GRU<1, 8>, ctnn::Conv1D<8, 1, 1>>;
int main() {
    const auto net = std::make_unique<Net>();
    const ctnn::StreamModel<Net> prepared(*net);
    ctnn::Stream<Other> voice;
    float x = 0, y = 0;
    voice.step(prepared, std::span<const float, 1>(&x, 1), std::span<float, 1>(&y, 1));
}
