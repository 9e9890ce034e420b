// EXPECT: LAYER_SIZES_DO_NOT_MATCH<1, ctnn::ReLU, 256, 2, ctnn::Linear<128, 10>, 128>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<128, 10>>;
int main() {
    Net net;
    std::array<float, 784> x{};
    std::array<float, 10> y{};
    net.forward(x, y);
    return int(Net::out_size);
}
