// EXPECT: LAYER_CANNOT_TRAIN<1, ctnn::LSTM<8, 8> >
#include <ctnn/ctnn.hpp>
#include <vector>
using Net = ctnn::Seq<ctnn::Input<2, 16>, ctnn::Conv1D<2, 8, 3>, ctnn::LSTM<8, 8>, ctnn::Conv1D<8, 1, 1>>;
int main() {
    Net net;
    ctnn::Workspace<Net> ws(1);
    std::vector<float> x(Net::in_size);
    net.train_forward(x, ws);
}
