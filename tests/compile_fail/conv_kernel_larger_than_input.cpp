// EXPECT: LAYER_INPUT_NOT_ACCEPTED<3, ctnn::Conv2D<6, 16, 5>, 6, 4, 4, 6, 5, 5>
#include <ctnn/ctnn.hpp>
// LeNet on a 12 x 12 input: the second convolution's 5 x 5 kernel meets a 4 x 4 image.
using Net = ctnn::Seq<ctnn::Input<1, 12, 12>, ctnn::Conv2D<1, 6, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                      ctnn::Conv2D<6, 16, 5>, ctnn::ReLU, ctnn::Flatten, ctnn::Linear<16, 10>>;
int main() {
    Net net;
    return int(Net::out_size);
}
