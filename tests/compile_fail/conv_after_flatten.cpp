// EXPECT: LAYER_INPUT_NOT_ACCEPTED<3, ctnn::Conv2D<4, 4, 3>, 64, 0, 0, 4, 3, 3>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3>, ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Conv2D<4, 4, 3>>;
int main() {
    Net net;
    return int(Net::out_size);
}
