// EXPECT: LAYER_INPUT_NOT_ACCEPTED<2, ctnn::BatchNorm2d<8>, 6, 12, 12, 8, 12, 12>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Conv2D<1, 6, 5, ctnn::NoBias>, ctnn::MaxPool2D<2>,
                      ctnn::BatchNorm2d<8>, ctnn::ReLU>;
int main() {
    Net net;
    return int(Net::out_size);
}
