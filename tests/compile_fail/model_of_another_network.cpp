// EXPECT: ctnn::error::MODEL_IS_ANOTHER_NETWORK<ctnn::Seq<ctnn::Linear<20, 32>, ctnn::Tanh, ctnn::Linear<32, 3>
// A view (here through a Bf16Model) of a model whose layers are not the view's: its parameters
// would be read in the wrong layout.
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<20, 32>, ctnn::Tanh, ctnn::Linear<32, 3>>;
using Other = ctnn::Seq<ctnn::Linear<20, 16>, ctnn::Linear<16, 3>>;
int main() {
    Net net;
    const ctnn::Bf16Model<Other> wrong(net);
    std::array<float, 20> x{};
    (void)wrong.forward(x);
}
