// EXPECT: LAYER_INPUT_NOT_ACCEPTED<0, ctnn::Linear<784, 10>, 1, 28, 28, 784, 0, 0>
#include <ctnn/ctnn.hpp>
// An image into a Linear: it needs a Flatten first.
using Net = ctnn::Seq<ctnn::Input<1, 28, 28>, ctnn::Linear<784, 10>>;
int main() {
    Net net;
    return int(Net::out_size);
}
