#include <ctnn/ctnn.hpp>
#include <cstdio>

using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;

int main() {
    Net net;  // small: the parameters are one aligned heap block, allocated here
    ctnn::Rng rng(42);
    ctnn::init::pytorch_default(net, rng);
    std::array<float, Net::in_size> x{};  // Net::in_size == 784
    std::array<float, Net::out_size> y;
    net.forward(x, y);  // sizes checked by the compiler; no allocation
    std::printf("%zu parameters, y[0] = %f\n", Net::parameter_count, y[0]);
}
