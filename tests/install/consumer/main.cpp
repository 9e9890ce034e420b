#include <ctnn/ctnn.hpp>
#include <cstdio>
#include <memory>

using Net = ctnn::Seq<ctnn::Linear<4, 8>, ctnn::Sigmoid, ctnn::Linear<8, 3>>;

int main() {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(3);
    ctnn::init::xavier_uniform(*net, rng);
    std::array<float, 4> x{1, 2, 3, 4};
    std::array<float, 3> y{};
    net->forward(x, y);
    std::printf("consumer ok: %zu parameters, isa %s\n", Net::parameter_count, ctnn::kernels::arch_name());
    return 0;
}
