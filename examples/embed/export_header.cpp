// export_header: turns trained weights (safetensors, from `mnist --save` or from PyTorch through
// tools/torch_to_safetensors.py) into a C++ header that compiles the model into a program.
//
//   export_header WEIGHTS.safetensors OUT.hpp [--namespace NAME]
//   export_header --demo OUT.hpp DEMO.safetensors   (seeded untrained weights, both forms)
#include <ctnn/io/header_export.hpp>
#include <ctnn/io/safetensors.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include "mnist_net.hpp"

int main(int argc, char** argv) {
    if (argc < 3 || std::strcmp(argv[1], "--help") == 0) {
        std::fprintf(stderr,
                     "usage: export_header WEIGHTS.safetensors OUT.hpp [--namespace NAME]\n"
                     "       export_header --demo OUT.hpp DEMO.safetensors\n"
                     "Writes the MNIST network's weights as a C++ header (see docs/embedding.md).\n");
        return 2;
    }
    MnistNet net;
    ctnn::io::HeaderOptions options{.name_space = "mnist_model", .source = argv[1], .includes = {}};
    try {
        if (std::strcmp(argv[1], "--demo") == 0) {
            if (argc < 4) {
                std::fprintf(stderr, "export_header --demo needs OUT.hpp and DEMO.safetensors\n");
                return 2;
            }
            ctnn::Rng rng(2024);
            ctnn::init::pytorch_default(net, rng);
            ctnn::io::save_safetensors(net, argv[3]);
            options.source = std::string("untrained demo weights, also in ") + argv[3];
        } else {
            ctnn::io::load_safetensors(net, argv[1]);
            if (argc >= 5 && std::strcmp(argv[3], "--namespace") == 0) options.name_space = argv[4];
        }
        ctnn::io::write_header(net, std::filesystem::path(argv[2]), options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::printf("wrote %s (%zu parameters)\n", argv[2], MnistNet::parameter_count);
    return 0;
}
