#include <ctnn/ctnn.hpp>
#include <cstdio>

using Net = ctnn::Seq<ctnn::Linear<4, 8>, ctnn::Sigmoid, ctnn::Linear<8, 3>>;

int main() {
    Net net;
    ctnn::Rng rng(3);
    ctnn::init::xavier_uniform(net, rng);
    const std::array<float, 4> x{1, 2, 3, 4};
    const auto y = net.forward(x);
    std::printf("consumer ok: %zu parameters, y[0] = %.4f, isa %s\n", Net::parameter_count, double(y[0]),
                ctnn::kernels::arch_name());
}
