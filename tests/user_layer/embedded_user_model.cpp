// The header written by export_user_model compiles (the user's layer is spelled with its own
// namespace) and computes exactly what the same weights loaded from the file compute.
#include <ctnn/io/safetensors.hpp>
#include <cstdio>
#include <type_traits>
#include "exported_user_model.hpp"

static_assert(std::is_same_v<exported::Net, user::ScaledNet>);

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    user::ScaledNet loaded;
    ctnn::io::load_safetensors(loaded, argv[1]);
    const ctnn::ModelView<exported::Net> embedded(exported::parameters);
    ctnn::Rng rng(9);
    for (int s = 0; s < 100; ++s) {
        std::array<float, 3> x;
        for (auto& v : x) v = float(rng.uniform(-2, 2));
        if (loaded.forward(x) != embedded.forward(x)) {
            std::printf("outputs differ at sample %d\n", s);
            return 1;
        }
    }
    std::printf("user layer: the exported header computes what the loaded file does (%s)\n", exported::signature);
}
