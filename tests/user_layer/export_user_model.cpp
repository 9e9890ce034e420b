// Writes a user::ScaledNet with a user-defined layer as a safetensors file and as a C++ header
// (ctnn::io::write_header), which embedded_user_model.cpp then compiles.
#include <ctnn/io/header_export.hpp>
#include <ctnn/io/safetensors.hpp>
#include <cstdio>
#include "user_layer.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: export_user_model OUT.hpp OUT.safetensors\n");
        return 2;
    }
    user::ScaledNet net;
    ctnn::Rng rng(5);
    ctnn::init::pytorch_default(net, rng);
    auto scale = net.parameters() + user::ScaledNet::table[1].param_offset;
    for (int i = 0; i < 4; ++i) scale[i] = 0.5f + 0.25f * float(i);  // not the default, so the export is seen
    ctnn::io::save_safetensors(net, argv[2]);
    // The generated header must include the layer's own header: write_header spells it as
    // user::Scale<4>, and that type is defined there.
    ctnn::io::write_header(net, std::filesystem::path(argv[1]),
                           {.name_space = "exported", .source = "tests/user_layer", .includes = {"user_layer.hpp"}});
    std::printf("wrote %s and %s\n", argv[1], argv[2]);
}
