// EXPECT: LAYER_SHAPES_DO_NOT_MATCH<2, ctnn::MaxPool2D<2>, 4, 4, 4, 3, ctnn::Linear<64, 10>, 64, 0, 0>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3>, ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Linear<64, 10>>;
int main() {
    Net net;
    return int(Net::out_size);
}
