#pragma once
// What the bf16 and int8 model tests share: the networks they convert, and a small classifier
// whose accuracy a reduced-precision copy must keep.
#include <ctnn/ctnn.hpp>
#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>
#include "support.hpp"

namespace test {

/// Every activation, a Linear without bias, and odd sizes (not multiples of any vector width).
using PrecisionMlp = ctnn::Seq<ctnn::Linear<40, 48>, ctnn::ReLU, ctnn::Linear<48, 33>, ctnn::Sigmoid,
                               ctnn::Linear<33, 20, ctnn::NoBias>, ctnn::Tanh, ctnn::Linear<20, 17>,
                               ctnn::LeakyReLU, ctnn::Linear<17, 5>>;
/// Layers without a reduced-precision kernel (convolution, BatchNorm, pooling) before Linears.
using PrecisionCnn = ctnn::Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3>, ctnn::BatchNorm2d<4>, ctnn::ReLU,
                               ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Linear<64, 10>, ctnn::Sigmoid,
                               ctnn::Linear<10, 3>>;

/// Ten Gaussian clusters in 16 dimensions and a 16-64-10 classifier trained on them for five
/// epochs.
struct ClusterClassifier {
    using Net = ctnn::Seq<ctnn::Linear<16, 64>, ctnn::ReLU, ctnn::Linear<64, 10>>;
    static constexpr std::size_t n = 2000;
    std::vector<float> x = std::vector<float>(n * 16);
    std::vector<int> labels = std::vector<int>(n);
    std::unique_ptr<Net> net = std::make_unique<Net>();

    ClusterClassifier() {
        ctnn::Rng rng(3);
        std::vector<float> centres(10 * 16);
        for (float& c : centres) c = float(rng.normal()) * 1.2f;
        for (std::size_t i = 0; i < n; ++i) {
            labels[i] = int(i % 10);
            for (std::size_t f = 0; f < 16; ++f)
                x[i * 16 + f] = centres[std::size_t(labels[i]) * 16 + f] + float(rng.normal());
        }
        ctnn::init::pytorch_default(*net, rng);
        ctnn::train::StepBuffers<Net> buffers(100);
        ctnn::optim::Adam<Net> adam({.lr = 0.01f});
        for (int epoch = 0; epoch < 5; ++epoch)
            for (std::size_t b = 0; b < n; b += 100)
                ctnn::train::step(*net, adam, ctnn::loss::SoftmaxCrossEntropy{},
                                  std::span<const float>(x).subspan(b * 16, 1600),
                                  std::span<const int>(labels).subspan(b, 100), buffers);
    }

    /// `reduced` (a copy of net in another precision) predicts as net does for at least
    /// `same_per_cent` of the samples, and its accuracy is within half a point of net's.
    template <class Model>
    void require_keeps_accuracy(const Model& reduced, std::size_t same_per_cent) const {
        std::size_t right32 = 0, right = 0, same = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::array<float, 16> one;
            std::copy_n(x.begin() + std::ptrdiff_t(i * 16), 16, one.begin());
            const std::size_t a = net->predict(one), c = reduced.predict(one);
            right32 += a == std::size_t(labels[i]);
            right += c == std::size_t(labels[i]);
            same += a == c;
        }
        CAPTURE(right32, right, same);
        REQUIRE(right32 > n * 8 / 10);  // the classifier learned something
        REQUIRE(same >= n * same_per_cent / 100);
        REQUIRE(std::abs(double(right32) - double(right)) <= double(n) * 0.005);
    }
};

}  // namespace test
