// EXPECT: LAYER_SIZES_DO_NOT_MATCH<6, ctnn::Flatten, 256, 7, ctnn::Linear<400, 120>, 400>
#include <ctnn/ctnn.hpp>
// LeNet written for 32 x 32 inputs (16 x 5 x 5 = 400) but fed 28 x 28 ones (16 x 4 x 4 = 256).
using Net = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Conv2D<1, 6, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                      ctnn::Conv2D<6, 16, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Flatten,
                      ctnn::Linear<400, 120>, ctnn::ReLU, ctnn::Linear<120, 10>>;
int main() {
    Net net;
    return int(Net::out_size);
}
