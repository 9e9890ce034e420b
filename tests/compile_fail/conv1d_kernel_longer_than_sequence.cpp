// EXPECT: LAYER_INPUT_NOT_ACCEPTED<1, ctnn::Conv1D<8, 8, 9>, 8, 6, 0, 8, 9, 0>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<3, 8>, ctnn::Conv1D<3, 8, 3>, ctnn::Conv1D<8, 8, 9>, ctnn::Flatten, ctnn::Linear<8, 2>>;
int main() {
    Net net;
    return int(Net::out_size);
}
