// EXPECT: OUTPUT_SIZE_DOES_NOT_MATCH_MODEL<10, 9>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
int main() {
    Net net;
    std::array<float, 784> x{};
    float y[9];
    net.forward(x, y);
}
