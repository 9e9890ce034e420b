// EXPECT: ARGUMENT_NEEDS_A_FIXED_SIZE<std::vector<float> >
#include <ctnn/ctnn.hpp>
#include <vector>
using Net = ctnn::Seq<ctnn::Linear<4, 2>>;
int main() {
    Net net;
    std::vector<float> x(4);
    std::array<float, 2> y{};
    net.forward(x, y);
}
