// EXPECT: LAYER_INPUT_NOT_ACCEPTED<1, ctnn::PReLU<8>, 6, 0, 0, 8, 0, 0>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<4, 6>, ctnn::PReLU<8>, ctnn::Linear<6, 2>>;
int main() {
    Net net;
    std::array<float, 4> x{};
    std::array<float, 2> y{};
    net.forward(x, y);
    return int(Net::out_size);
}
