// EXPECT: MODEL_TOO_LARGE_FOR_STACK_INFERENCE<
#include <ctnn/ctnn.hpp>
#include <memory>
// 64 x 62 x 62 outputs and a 576 x 3844 im2col matrix: far more than 1 MiB of stack.
using Net = ctnn::Seq<ctnn::Input<64, 64, 64>, ctnn::Conv2D<64, 64, 3>, ctnn::ReLU, ctnn::GlobalAvgPool2D>;
int main() {
    Net net;
    auto x = std::make_unique<std::array<float, Net::in_size>>();
    std::array<float, Net::out_size> y{};
    net.forward(*x, y);
    return 0;
}
