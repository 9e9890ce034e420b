// EXPECT: ctnn::error::PARAMETER_BLOCK_SIZE_DOES_NOT_MATCH_MODEL<64, 63>
// A compiled-in parameter array that does not fit the model's layout.
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<3, 2>, ctnn::ReLU, ctnn::Linear<2, 1>>;
constexpr float parameters[63] = {};
int main() {
    const ctnn::ModelView<Net> model(parameters);
    std::array<float, 3> x{};
    std::array<float, 1> y{};
    model.forward(x, y);
}
