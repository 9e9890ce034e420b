// EXPECT: ctnn::error::STREAM_MODEL_IS_ONLY_FOR_STREAMS<ctnn::Seq<ctnn::Input<1, 64>, ctnn::GRU<1, 32>
// A view of a StreamModel: its block is packed for Stream, not in the model's layout.
#include <ctnn/ctnn.hpp>
#include <memory>
#include <vector>
using Net = ctnn::Seq<ctnn::Input<1, 64>, ctnn::GRU<1, 32>, ctnn::Conv1D<32, 1, 1>>;
int main() {
    const auto net = std::make_unique<Net>();
    const ctnn::StreamModel<Net> prepared(*net);
    const ctnn::ModelView<Net> view(prepared);
    std::vector<float> x(64), y(64);
    ctnn::InferenceScratch<Net> scratch(1);
    view.forward(x, y, scratch);
}
