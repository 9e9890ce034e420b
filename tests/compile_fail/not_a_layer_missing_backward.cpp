// EXPECT: ctnn::error::NOT_A_LAYER<2, Half>
// A user's element-wise layer that forgot backward: one error naming it, not a cascade.
#include <ctnn/ctnn.hpp>
struct Half {
    static constexpr std::array<ctnn::TensorInfo, 0> tensors{};
    static constexpr ctnn::Shape output_shape(ctnn::Shape in) noexcept { return in; }
    static std::string cpp_name() { return "Half"; }
    template <ctnn::Shape In, class Arch>
    static void forward(const float*, const float* x, std::size_t batch, float* y) noexcept {
        for (std::size_t i = 0; i < batch * In.size(); ++i) y[i] = x[i] / 2;
    }
};
using Net = ctnn::Seq<ctnn::Linear<4, 3>, ctnn::ReLU, Half, ctnn::Linear<3, 2>>;
int main() {
    Net net;
    std::array<float, 4> x{};
    std::array<float, 2> y{};
    net.forward(x, y);
}
