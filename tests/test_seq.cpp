// Seq: compile-time shapes and layout, and that the single-sample, batch-inference and training
// paths compute the same function as a plain scalar evaluation of the layer list.
#include <algorithm>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <memory>
#include "reference_net.hpp"
#include "support.hpp"

using ctnn::Linear;
using ctnn::Seq;
using Mnist = Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 256>, ctnn::ReLU, Linear<256, 10>>;
using Odd = Seq<Linear<13, 17>, ctnn::Sigmoid, Linear<17, 9>, ctnn::Tanh, Linear<9, 6>, ctnn::LeakyReLU, Linear<6, 5>>;
// Activations that are not fused (two in a row) and a net ending in one.
using Unfused = Seq<Linear<7, 6>, ctnn::Tanh, ctnn::ReLU, Linear<6, 3>, ctnn::Sigmoid>;

TEST_CASE("aligned arrays are zeroed, 64-byte aligned, copied and moved, and large ones staggered", "[seq][memory]") {
    // Blocks of 64 KiB and more start 17 cache lines further into their allocation than the
    // one before (16 colours), so same-sized blocks read side by side do not start in the same
    // cache sets.
    std::size_t colours[16];
    for (auto& c : colours) c = ctnn::detail::next_colour();
    for (std::size_t i = 0; i < 16; ++i) {
        CAPTURE(i);
        REQUIRE(colours[i] % ctnn::alignment == 0);
        const std::size_t step = (colours[(i + 1) % 16] + 16 * 17 * ctnn::alignment - colours[i]) % (16 * 17 * ctnn::alignment);
        REQUIRE(step == 17 * ctnn::alignment);  // the next array is 1088 bytes further in
    }
    for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{16384}, std::size_t{16385}, std::size_t{269322}}) {
        CAPTURE(n);
        ctnn::AlignedBuffer a(n);
        REQUIRE(a.size() == n);
        REQUIRE(reinterpret_cast<std::uintptr_t>(a.data()) % ctnn::alignment == 0);
        REQUIRE(std::all_of(a.data(), a.data() + n, [](float v) { return v == 0.0f; }));
        for (std::size_t i = 0; i < n; ++i) a.data()[i] = float(i);
        ctnn::AlignedBuffer copy = a;  // its own allocation, maybe another colour
        ctnn::AlignedBuffer moved = std::move(a);
        REQUIRE(a.size() == 0);
        REQUIRE(a.data() == nullptr);
        const auto holds_indices = [n](const ctnn::AlignedBuffer& b) {
            for (std::size_t i = 0; i < n; ++i)
                if (b.data()[i] != float(i)) return false;
            return true;
        };
        REQUIRE(holds_indices(copy));
        REQUIRE(holds_indices(moved));
        copy = std::move(moved);  // each destroyed from where it was allocated (ASan checks)
        REQUIRE(copy.size() == n);
    }
}

TEST_CASE("a Seq knows its shapes, sizes and layout at compile time", "[seq]") {
    STATIC_REQUIRE(Mnist::in_size == 784);
    STATIC_REQUIRE(Mnist::out_size == 10);
    STATIC_REQUIRE(Mnist::depth == 5);
    STATIC_REQUIRE(Mnist::parameter_count == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    STATIC_REQUIRE(Mnist::table[1].in.size() == 256);  // activations take the size before them
    STATIC_REQUIRE(Mnist::table[1].fused);
    // Training keeps one buffer per step (a Linear and its fused ReLU share one): 256 + 256 + 16
    // floats per sample, and two gradient buffers of the widest output (256).
    STATIC_REQUIRE(!Mnist::table[0].stored && Mnist::table[1].stored && Mnist::table[4].stored);
    STATIC_REQUIRE(Mnist::sizes.activations == 256 + 256 + 16);
    STATIC_REQUIRE(Mnist::sizes.gradient_width == 256);
    STATIC_REQUIRE(ctnn::Workspace<Mnist>::floats_per_sample == 1040);
    STATIC_REQUIRE(Mnist::sizes.inference_width == 256);
    STATIC_REQUIRE(Odd::in_size == 13);
    STATIC_REQUIRE(Odd::out_size == 5);
    STATIC_REQUIRE(!Unfused::table[2].fused);
    STATIC_REQUIRE(std::is_same_v<Mnist::layer_type<2>, Linear<256, 256>>);
    for (const auto& e : Mnist::table) REQUIRE(e.param_offset % ctnn::floats_per_alignment == 0);
}

TEST_CASE("tensors carry PyTorch nn.Sequential names and shapes", "[seq]") {
    STATIC_REQUIRE(Mnist::tensors.size() == 6);
    REQUIRE(Mnist::tensors[0].name() == "0.weight");
    REQUIRE(Mnist::tensors[1].name() == "0.bias");
    REQUIRE(Mnist::tensors[2].name() == "2.weight");
    REQUIRE(Mnist::tensors[5].name() == "4.bias");
    REQUIRE(Mnist::tensors[2].info.dims == std::array<std::size_t, 4>{256, 256, 0, 0});
    REQUIRE(Mnist::tensors[4].info.dims == std::array<std::size_t, 4>{10, 256, 0, 0});
    REQUIRE(Odd::tensors[6].name() == "6.weight");
}

TEST_CASE("layer views address the parameter block in PyTorch layout", "[seq]") {
    auto net = std::make_unique<Mnist>();
    auto l2 = net->layer<2>();
    l2.weight(3, 7) = 1.5f;
    l2.bias[9] = -2.0f;
    REQUIRE(net->parameters()[Mnist::table[2].param_offset + 3 * 256 + 7] == 1.5f);
    REQUIRE(net->parameters()[Mnist::table[2].param_offset + Linear<256, 256>::bias_offset + 9] == -2.0f);
    const Mnist& c = *net;
    REQUIRE(c.layer<2>().weight(3, 7) == 1.5f);
    STATIC_REQUIRE(std::is_same_v<decltype(c.layer<2>().bias), std::span<const float, 256>>);
}

template <class Net>
void check_paths_agree(std::uint64_t seed) {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(seed);
    ctnn::init::pytorch_default(*net, rng);
    constexpr std::size_t batch = 7;
    const auto x = test::random_vector(batch * Net::in_size, seed + 1, 2.0);
    const auto expected = test::reference_forward<Net>(*net, x, batch);

    std::vector<float> out(batch * Net::out_size);
    for (std::size_t r = 0; r < batch; ++r) {
        std::array<float, Net::in_size> xi;
        std::array<float, Net::out_size> yi;
        std::copy_n(x.begin() + r * Net::in_size, Net::in_size, xi.begin());
        net->forward(xi, yi);
        std::copy(yi.begin(), yi.end(), out.begin() + r * Net::out_size);
    }
    test::require_close(out, expected, 1e-5, 1e-5, "single-sample forward");

    ctnn::InferenceScratch<Net> scratch(batch);
    std::vector<float> y(batch * Net::out_size);
    net->forward(x, y, scratch);
    test::require_close(y, expected, 1e-5, 1e-5, "batch forward");

    ctnn::Workspace<Net> ws(batch);
    const auto logits = net->train_forward(x, ws);
    test::require_close(logits, expected, 1e-5, 1e-5, "training forward");
    // A smaller batch than the workspace holds is fine.
    const auto two = net->train_forward(std::span(x).first(2 * Net::in_size), ws);
    test::require_close(two, std::span(expected).first(2 * Net::out_size), 1e-5, 1e-5, "partial batch");
}

TEST_CASE("single-sample, batch and training forward compute the same function", "[seq]") {
    check_paths_agree<Mnist>(1);
    check_paths_agree<Odd>(2);
    check_paths_agree<Unfused>(3);
    check_paths_agree<Seq<Linear<5, 3>>>(4);
}

TEST_CASE("forward accepts C arrays and fixed-extent spans", "[seq]") {
    auto net = std::make_unique<Odd>();
    ctnn::Rng rng(9);
    ctnn::init::xavier_uniform(*net, rng);
    float x[13] = {1, 2, 3};
    float y1[5], y2[5];
    net->forward(x, y1);
    net->forward(std::span<const float, 13>(x), std::span<float, 5>(y2));
    for (int i = 0; i < 5; ++i) REQUIRE(y1[i] == y2[i]);
}

TEST_CASE("backward accumulates gradients and can skip the input gradient", "[seq]") {
    auto net = std::make_unique<Odd>();
    ctnn::Rng rng(5);
    ctnn::init::pytorch_default(*net, rng);
    constexpr std::size_t batch = 4;
    const auto x = test::random_vector(batch * Odd::in_size, 6);
    const auto dy = test::random_vector(batch * Odd::out_size, 7);
    ctnn::Workspace<Odd> ws(batch);
    ctnn::Gradients<Odd> once, twice;
    std::vector<float> dx(batch * Odd::in_size);
    net->train_forward(x, ws);
    net->backward(x, dy, ws, once, dx);
    net->backward(x, dy, ws, twice);
    net->backward(x, dy, ws, twice);
    std::vector<float> doubled(once.span().begin(), once.span().end());
    for (auto& v : doubled) v *= 2;
    test::require_close(twice.span(), doubled, 1e-6, 1e-7, "accumulated gradients");
    twice.zero();
    for (float v : twice.span()) REQUIRE(v == 0.0f);
}
