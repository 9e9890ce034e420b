// embedded_mnist: the MNIST network compiled into the program (mnist_model.hpp, written by
// export_header), classifying with no file and no allocation at run time.
//
//   embedded_mnist --data DIR          accuracy on the t10k test set and latency per sample
//   embedded_mnist --compare FILE      outputs equal to FILE loaded at run time? (exit 0 if so)
#include <ctnn/io/idx.hpp>
#include <ctnn/io/safetensors.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>
#include "mnist_model.hpp"
#include "mnist_net.hpp"

static_assert(std::is_same_v<mnist_model::Net, MnistNet>, "the header holds another network than MnistNet");
using Net = mnist_model::Net;

namespace {

// The compiled-in parameters with a model's inference API: nothing to load, nothing to allocate.
const ctnn::ModelView<Net> model(mnist_model::parameters);

int classify(const float* x) noexcept {
    return int(model.predict(std::span<const float, Net::in_size>(x, Net::in_size)));
}

int evaluate(const char* dir) {
    const auto test = ctnn::io::read_idx_folder(dir, "t10k", Net::in_size, Net::out_size);
    const std::size_t n = test.size();
    std::vector<float> x(n * Net::in_size);
    std::transform(test.images.pixels.begin(), test.images.pixels.end(), x.begin(),
                   [](std::uint8_t b) { return float(b) / 255.0f; });
    std::size_t correct = 0;
    std::vector<double> run_ns;
    for (int run = 0; run < 5; ++run) {
        correct = 0;
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < n; ++i) correct += classify(&x[i * Net::in_size]) == test.labels.labels[i];
        run_ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                         double(n));
    }
    std::sort(run_ns.begin(), run_ns.end());
    std::printf("Accuracy: %.4f (%zu of %zu)\n", double(correct) / double(n), correct, n);
    std::printf("latency per sample: %.2f us (median of 5 passes over the test set, isa %s)\n", run_ns[2] / 1000,
                ctnn::kernels::arch_name());
    return 0;
}

int compare(const char* file) {
    Net loaded;
    ctnn::io::load_safetensors(loaded, file);
    ctnn::Rng rng(7);
    std::array<float, Net::in_size> x;
    std::array<float, Net::out_size> a, b;
    const int samples = 1000;
    for (int s = 0; s < samples; ++s) {
        for (auto& v : x) v = float(rng.uniform01());
        loaded.forward(x, a);
        model.forward(x, b);
        if (a != b) {
            std::printf("outputs differ from %s at sample %d\n", file, s);
            return 1;
        }
    }
    std::printf("embedded model: identical outputs to %s on %d samples\n", file, samples);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 3 && std::strcmp(argv[1], "--data") == 0) return evaluate(argv[2]);
        if (argc == 3 && std::strcmp(argv[1], "--compare") == 0) return compare(argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: embedded_mnist --data DIR | --compare WEIGHTS.safetensors\n"
                         "the model inside: %s (%s)\n", mnist_model::signature, "see docs/embedding.md");
    return 2;
}
