// EXPECT: compiles
// The control case: a correct declaration and calls, compiled with the same command, must pass,
// so that the failures above fail for the reason they name.
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
int main() {
    Net net;
    std::array<float, 784> x{};
    std::array<float, 10> y{};
    net.forward(x, y);
}
