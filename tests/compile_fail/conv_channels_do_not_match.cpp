// EXPECT: LAYER_INPUT_NOT_ACCEPTED<2, ctnn::Conv2D<8, 16, 3>, 6, 26, 26, 8, 26, 26>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Conv2D<1, 6, 3>, ctnn::ReLU, ctnn::Conv2D<8, 16, 3>>;
int main() {
    Net net;
    return int(Net::out_size);
}
