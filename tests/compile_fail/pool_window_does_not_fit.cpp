// EXPECT: LAYER_INPUT_NOT_ACCEPTED<1, ctnn::MaxPool2D<4>, 4, 3, 3, 4, 4, 4>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<1, 5, 5>, ctnn::Conv2D<1, 4, 3>, ctnn::MaxPool2D<4>, ctnn::Flatten, ctnn::Linear<4, 2>>;
int main() {
    Net net;
    return int(Net::out_size);
}
