// Convolutional networks as a whole: the LeNet of the MNIST CNN example (and a network of every
// spatial layer) through inference without allocation, the batch and single-sample paths, every
// instruction set, save and load, the signature and the exported type. The layers themselves are
// held against PyTorch in test_torch_reference, against finite differences in test_gradcheck and
// their kernels against scalar references in test_kernels.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/header_export.hpp>
#include <ctnn/io/safetensors.hpp>
#include <filesystem>
#include <memory>
#include <sstream>
#include "allocation_counter.hpp"
#include "reference_net.hpp"
#include "support.hpp"

using namespace ctnn;
using test::allocations;
using test::make_net;

namespace {

using LeNet = Seq<Input<1, 28, 28>, Conv2D<1, 6, 5>, ReLU, MaxPool2D<2>, Conv2D<6, 16, 5>, ReLU, MaxPool2D<2>, Flatten,
                  Linear<256, 120>, ReLU, Linear<120, 84>, ReLU, Linear<84, 10>>;
// Every spatial layer and option once; global pooling makes it take any image size.
template <std::size_t H, std::size_t W>
using AllSpatial = Seq<Input<3, H, W>, Conv2D<3, 8, 3, Stride<2>, Padding<1>>, ReLU, Conv2D<8, 8, 3, Groups<8>, SamePadding>,
                       Tanh, Conv2D<8, 4, 1, NoBias>, AvgPool2D<2, Stride<1>>, MaxPool2D<3, Stride<2>, Padding<1>>,
                       GlobalAvgPool2D, Flatten, Linear<4, 3>>;

static_assert(LeNet::input_shape == Shape{1, 28, 28} && LeNet::in_size == 784 && LeNet::out_size == 10);
static_assert(LeNet::depth == 12, "Input<...> takes no position");
static_assert(LeNet::table[0].out == Shape{6, 24, 24} && LeNet::table[2].out == Shape{6, 12, 12});
static_assert(LeNet::table[5].out == Shape{16, 4, 4} && LeNet::table[6].out == Shape{256});
static_assert(LeNet::table[1].fused, "ReLU runs as the convolution's epilogue");
static_assert(LeNet::parameter_count == 6 * 25 + 6 + 16 * 150 + 16 + 256 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10);

}  // namespace

TEST_CASE("a LeNet's tensors are named and shaped as PyTorch's nn.Sequential", "[conv]") {
    REQUIRE(LeNet::tensors.size() == 10);
    REQUIRE(LeNet::tensors[0].name() == "0.weight");
    REQUIRE(LeNet::tensors[0].info.rank == 4);
    REQUIRE(LeNet::tensors[0].info.dims == std::array<std::size_t, 4>{6, 1, 5, 5});
    REQUIRE(LeNet::tensors[2].name() == "3.weight");
    REQUIRE(LeNet::tensors[4].name() == "7.weight");
    REQUIRE(LeNet::tensors[9].name() == "11.bias");
    REQUIRE(io::signature<LeNet>() ==
            "Input<1,28,28>,Conv2D<1,6,5>,ReLU,MaxPool2D<2>,Conv2D<6,16,5>,ReLU,MaxPool2D<2>,Flatten,Linear<256,120>,"
            "ReLU,Linear<120,84>,ReLU,Linear<84,10>");
    REQUIRE(torch_module<Conv2D<3, 8, 3, KernelWidth<5>, Stride<2, 1>, Padding<1>, Dilation<2>, Groups<1>, NoBias>>() ==
            "nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=1, dilation=2, bias=False)");
    REQUIRE(torch_module<MaxPool2D<3, Stride<2>, Padding<1>>>() == "nn.MaxPool2d(3, stride=2, padding=1)");
    REQUIRE(torch_module<GlobalAvgPool2D>() == "nn.AdaptiveAvgPool2d(1)");
}

TEST_CASE("CNN inference allocates nothing, single-sample or batch, and both agree", "[conv][realtime]") {
    const auto net = make_net<LeNet>(1);
    const LeNet& model = *net;
    std::array<float, 784> x{};
    std::array<float, 10> y{};
    STATIC_REQUIRE(noexcept(model.forward(x, y)));
    const auto xs = test::random_vector(7 * 784, 2);
    std::vector<float> ys(7 * 10), one(7 * 10);
    InferenceScratch<LeNet> scratch(7);
    const long before = allocations.load();
    for (std::size_t r = 0; r < 7; ++r) {
        std::copy_n(xs.begin() + std::ptrdiff_t(r * 784), 784, x.begin());
        model.forward(x, y);
        std::copy(y.begin(), y.end(), one.begin() + std::ptrdiff_t(r * 10));
    }
    model.forward(xs, ys, scratch);
    REQUIRE(allocations.load() - before == 0);
    test::require_close(ys, one, 1e-6, 1e-6, "batch against single samples");
    // Every instruction set the build has, through a view of the same parameters.
    std::vector<float> sse2(7 * 10);
    model.view<xsimd::sse2>().forward(xs, sse2, scratch);
    test::require_close(sse2, ys, 1e-5, 1e-5, "SSE2 against the default instruction set");
}

TEST_CASE("CNN training allocates nothing once the buffers exist", "[conv][realtime]") {
    auto net = make_net<AllSpatial<9, 11>>(3);
    using Net = AllSpatial<9, 11>;
    Workspace<Net> ws(5);
    Gradients<Net> grads;
    optim::Adam<Net> adam;
    const auto x = test::random_vector(5 * Net::in_size, 4);
    std::vector<float> dlogits(5 * Net::out_size);
    std::vector<int> labels{0, 1, 2, 1, 0};
    const long before = allocations.load();
    float first = 0, last = 0;
    for (int i = 0; i < 50; ++i) {
        const auto logits = net->train_forward(x, ws);
        const float loss = loss::softmax_cross_entropy<Net::out_size, int>(logits, labels, dlogits);
        (i == 0 ? first : last) = loss;
        grads.zero();
        net->backward(x, dlogits, ws, grads);
        adam.step(*net, grads);
    }
    REQUIRE(allocations.load() - before == 0);
    REQUIRE(last < first);  // it learns the five samples
}

TEST_CASE("a CNN saves and loads bit for bit, the file names its input shape", "[conv][safetensors]") {
    const auto dir = std::filesystem::temp_directory_path() / "ctnn_test_conv";
    std::filesystem::create_directories(dir);
    const auto file = dir / "lenet.safetensors";
    const auto net = make_net<LeNet>(5);
    io::save_safetensors(*net, file);
    auto back = std::make_unique<LeNet>();
    io::load_safetensors(*back, file);
    REQUIRE(std::equal(net->parameters(), net->parameters() + LeNet::parameter_block_size, back->parameters()));

    // Same tensors, other input size: refused, the layers between them are not the same model.
    const auto all = make_net<AllSpatial<9, 11>>(6);
    io::save_safetensors(*all, dir / "all.safetensors");
    auto other = std::make_unique<AllSpatial<12, 12>>();
    const auto result = io::try_load_safetensors(*other, dir / "all.safetensors");
    REQUIRE_FALSE(result.ok());
    REQUIRE_THAT(result.message, Catch::Matchers::Contains("Input<3,9,11>") &&
                                       Catch::Matchers::Contains("Input<3,12,12>"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("write_header spells the CNN's type as C++ that names the same type", "[conv][export]") {
    const auto net = make_net<LeNet>(7);
    std::ostringstream out;
    io::write_header(*net, out);
    // The text the header declares, and the same text compiled here: the same type.
    const std::string declared =
        "ctnn::Seq<ctnn::Input<1,28,28>, ctnn::Conv2D<1,6,5>, ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Conv2D<6,16,5>, "
        "ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Linear<256,120>, ctnn::ReLU, ctnn::Linear<120,84>, "
        "ctnn::ReLU, ctnn::Linear<84,10>>";
    STATIC_REQUIRE(std::is_same_v<LeNet, ctnn::Seq<ctnn::Input<1,28,28>, ctnn::Conv2D<1,6,5>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                                                   ctnn::Conv2D<6,16,5>, ctnn::ReLU, ctnn::MaxPool2D<2>, ctnn::Flatten,
                                                   ctnn::Linear<256,120>, ctnn::ReLU, ctnn::Linear<120,84>, ctnn::ReLU,
                                                   ctnn::Linear<84,10>>>);
    REQUIRE(io::type_declaration<LeNet>() == declared);
    REQUIRE_THAT(out.str(), Catch::Matchers::Contains("using Net = " + declared + ";"));
    using Options = Seq<Input<2, 8, 8>, Conv2D<2, 4, 3, KernelWidth<5>, Stride<1, 2>, Padding<1, 2>, Dilation<2>, NoBias>>;
    REQUIRE(io::type_declaration<Options>() ==
            "ctnn::Seq<ctnn::Input<2,8,8>, ctnn::Conv2D<2,4,3,ctnn::KernelWidth<5>,ctnn::Stride<1,2>,ctnn::Padding<1,2>,"
            "ctnn::Dilation<2>,ctnn::NoBias>>");
}

TEST_CASE("a Conv1D over a long sequence: rows wider than the registers take the im2col path", "[conv][conv1d]") {
    using namespace ctnn;
    // 1 input channel and 3 taps would take the direct path, which holds a row in registers;
    // 4096 steps do not fit (this failed to compile).
    using Net = Seq<Input<1, 4096>, Conv1D<1, 2, 3>, Tanh, Conv1D<2, 1, 1>>;
    auto net = test::make_net<Net>(12);
    const auto x = test::random_vector(Net::in_size, 13);
    std::vector<float> y(Net::out_size);
    InferenceScratch<Net> scratch(1);
    net->forward(x, y, scratch);
    test::require_close(y, test::reference_forward(*net, x, 1), 1e-5, 1e-5, "long sequence");
}
