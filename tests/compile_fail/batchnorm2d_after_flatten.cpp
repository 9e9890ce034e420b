// EXPECT: LAYER_INPUT_NOT_ACCEPTED<3, ctnn::BatchNorm2d<16>, 16, 0, 0, 16, 1, 1>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<3, 8, 8>, ctnn::Conv2D<3, 16, 3>, ctnn::GlobalAvgPool2D, ctnn::Flatten,
                      ctnn::BatchNorm2d<16>, ctnn::Linear<16, 4>>;
int main() {
    Net net;
    return int(Net::out_size);
}
