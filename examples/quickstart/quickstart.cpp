// The README's example: declare a network as a type, train it on XOR, use it.
#include <ctnn/ctnn.hpp>
#include <cstdio>

using Net = ctnn::Seq<ctnn::Linear<2, 8>, ctnn::Tanh, ctnn::Linear<8, 2>>;

int main() {
    Net net;
    ctnn::Rng rng(1);
    ctnn::init::pytorch_default(net, rng);

    const std::array<float, 8> x{0, 0, 0, 1, 1, 0, 1, 1};  // 4 samples x 2 features
    const std::array<int, 4> label{0, 1, 1, 0};
    ctnn::train::StepBuffers<Net> buffers(4);  // workspace and gradients for batches of up to 4, allocated once
    ctnn::optim::Adam<Net> adam({.lr = 0.05f});
    const ctnn::loss::SoftmaxCrossEntropy loss_fn;  // 2 classes: Net::out_size
    float loss = 0;
    for (int step = 0; step < 300; ++step)  // forward, loss, zero gradients, backward, Adam
        loss = ctnn::train::step(net, adam, loss_fn, x, label, buffers);

    bool all_right = true;
    for (int i = 0; i < 4; ++i) {
        const std::array<float, 2> in{x[2 * i], x[2 * i + 1]};
        const int predicted = int(net.predict(in));  // one sample: no allocation, sizes checked at compile time
        std::printf("%g xor %g -> %d\n", in[0], in[1], predicted);
        all_right = all_right && predicted == label[i];
    }
    std::printf("final loss %.6f, learned XOR: %s\n", loss, all_right ? "yes" : "no");
    return all_right ? 0 : 1;
}
