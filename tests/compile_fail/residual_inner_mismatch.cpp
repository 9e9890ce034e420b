// EXPECT: LAYER_INPUT_NOT_ACCEPTED<2, ctnn::BatchNorm1d<4>, 8, 14, 0, 4, 14, 0>
#include <ctnn/ctnn.hpp>
// Inside a block, positions count from its first layer: the BatchNorm1d after a Conv1D of 8 channels.
using Net = ctnn::Seq<ctnn::Input<4, 16>,
                      ctnn::Residual<ctnn::Conv1D<4, 8, 3>, ctnn::ReLU, ctnn::BatchNorm1d<4>, ctnn::Shortcut<ctnn::Conv1D<4, 4, 1>>>,
                      ctnn::Conv1D<8, 1, 1>>;
int main() {
    Net net;
    return int(Net::out_size);
}
