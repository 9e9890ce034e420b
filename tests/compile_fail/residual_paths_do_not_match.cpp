// EXPECT: RESIDUAL_PATHS_DO_NOT_MATCH<ctnn::Residual<ctnn::Conv1D<4, 8, 3>, ctnn::ReLU>, 8, 14, 0, 4, 16, 0>
#include <ctnn/ctnn.hpp>
// The main path ends in 8 channels, the identity shortcut has the input's 4: a Shortcut<Conv1D<4, 8, 1>> fixes it.
using Net = ctnn::Seq<ctnn::Input<4, 16>, ctnn::Residual<ctnn::Conv1D<4, 8, 3>, ctnn::ReLU>, ctnn::Conv1D<8, 1, 1>>;
int main() {
    Net net;
    return int(Net::out_size);
}
