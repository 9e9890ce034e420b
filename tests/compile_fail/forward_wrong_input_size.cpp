// EXPECT: INPUT_SIZE_DOES_NOT_MATCH_MODEL<784, 100>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
int main() {
    Net net;
    std::array<float, 100> x{};
    std::array<float, 10> y{};
    net.forward(x, y);
}
