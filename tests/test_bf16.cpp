// bfloat16 inference: the rounding, the packed weight layout, the product kernels against a
// scalar reference on every instruction set this build runs (and on AMX, where it is granted,
// and without it), and Bf16Model against the fp32 model it was made from. (PyTorch's own bf16
// outputs: test_torch_reference.cpp.)
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/kernels/bf16.hpp>
#include <bit>
#include <cmath>
#include <tuple>
#include <vector>
#include "archs.hpp"
#include "support.hpp"

namespace k = ctnn::kernels;

TEST_CASE("float to bf16 rounds to nearest, ties to even, as PyTorch", "[bf16]") {
    CHECK(k::to_bf16(1.0f) == 0x3F80);
    CHECK(k::to_bf16(-2.0f) == 0xC000);
    CHECK(k::to_bf16(1.0f + 0x1p-8f) == 0x3F80);        // a tie: down to the even 1.0
    CHECK(k::to_bf16(1.0f + 3 * 0x1p-8f) == 0x3F82);    // a tie: up to the even neighbour
    CHECK(k::to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3F81);  // above the tie: up
    CHECK(k::to_bf16(std::numeric_limits<float>::infinity()) == 0x7F80);
    CHECK(k::to_bf16(std::numeric_limits<float>::max()) == 0x7F80);  // beyond bf16's largest: infinity
    CHECK(k::to_bf16(std::nanf("")) == 0x7FC0);
    CHECK(k::to_bf16(-std::nanf("")) == 0x7FC0);
    CHECK(k::to_bf16(0x1p-130f) == std::bit_cast<std::uint32_t>(0x1p-130f) >> 16);  // subnormals kept
    CHECK(k::round_to_bf16(3.14159265f) == 3.140625f);
    for (float f : {0.0f, 1.5f, -7.25f, 1e-20f, 3e30f}) CHECK(k::from_bf16(k::to_bf16(f)) == k::round_to_bf16(f));
}

TEST_CASE("the packed weight layout: 16 outputs x input pairs, padded with zeros", "[bf16]") {
    STATIC_REQUIRE(k::bf16_pairs(1) == 16);
    STATIC_REQUIRE(k::bf16_pairs(32) == 16);
    STATIC_REQUIRE(k::bf16_pairs(33) == 32);
    STATIC_REQUIRE(k::bf16_packed_size(17, 33) == 2 * 32 * 32);
    CHECK(k::bf16_packed_index(33, 0, 0) == 0);
    CHECK(k::bf16_packed_index(33, 0, 1) == 1);
    CHECK(k::bf16_packed_index(33, 1, 0) == 2);
    CHECK(k::bf16_packed_index(33, 0, 2) == 32);
    CHECK(k::bf16_packed_index(33, 16, 0) == 32 * 32);
    // Every element of a 17 x 33 weight has its own place.
    std::vector<int> seen(k::bf16_packed_size(17, 33));
    for (std::size_t o = 0; o < 17; ++o)
        for (std::size_t i = 0; i < 33; ++i) ++seen[k::bf16_packed_index(33, o, i)];
    for (std::size_t j = 0; j < seen.size(); ++j) REQUIRE(seen[j] <= 1);
}

namespace {

/// The scalar reference: sums of bf16 products in double, rounded to bf16, the op, rounded.
template <class Op>
std::vector<float> reference(std::size_t in, std::size_t out, const std::vector<float>& x, std::size_t batch,
                             const std::vector<float>& w, const std::vector<float>& b) {
    std::vector<float> y(batch * out);
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t o = 0; o < out; ++o) {
            double s = b[o];
            for (std::size_t i = 0; i < in; ++i)
                s += double(k::round_to_bf16(x[r * in + i])) * double(k::round_to_bf16(w[o * in + i]));
            y[r * out + o] = k::round_to_bf16(Op::apply(k::round_to_bf16(float(s))));
        }
    return y;
}

std::vector<std::uint16_t> pack(std::size_t in, std::size_t out, const std::vector<float>& w) {
    std::vector<std::uint16_t> packed(k::bf16_packed_size(out, in));
    for (std::size_t o = 0; o < out; ++o)
        for (std::size_t i = 0; i < in; ++i) packed[k::bf16_packed_index(in, o, i)] = k::to_bf16(w[o * in + i]);
    return packed;
}

/// Multiples of 1/8 in [-1, 1]: exact in bf16, and every sum of their products exact in fp32, so
/// any summation order gives the reference's value to the bit.
std::vector<float> eighths(std::size_t n, std::size_t seed) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = float(int((i * 7 + seed * 13 + i * i * 3) % 17) - 8) / 8.0f;
    return v;
}

template <std::size_t In, std::size_t Out, class Arch, class Op>
void check_bf16_linear(std::size_t batch) {
    CAPTURE(In, Out, batch, Arch::name(), k::amx_ready());
    // Exact values: the kernel must give the reference's bits.
    {
        const auto x = eighths(batch * In, 1), w = eighths(Out * In, 2), b = eighths(Out, 3);
        const auto packed = pack(In, Out, w);
        std::vector<float> y(batch * Out, -1.0f);
        k::bf16_linear_forward<In, Out, Op, Arch>(x.data(), batch, packed.data(), b.data(), y.data());
        const auto expected = reference<Op>(In, Out, x, batch, w, b);
        for (std::size_t j = 0; j < y.size(); ++j) {
            CAPTURE(j);
            REQUIRE(y[j] == expected[j]);
        }
    }
    // Random values: at most one bf16 step from the reference (the fp32 sums are rounded in
    // another order before the rounding to bf16).
    {
        const auto x = test::random_vector(batch * In, 1 + In), w = test::random_vector(Out * In, 2 + Out, 0.5);
        auto b = test::random_vector(Out, 3);
        for (float& v : b) v = k::round_to_bf16(v);
        const auto packed = pack(In, Out, w);
        std::vector<float> y(batch * Out);
        k::bf16_linear_forward<In, Out, Op, Arch>(x.data(), batch, packed.data(), b.data(), y.data());
        const auto expected = reference<Op>(In, Out, x, batch, w, b);
        for (std::size_t j = 0; j < y.size(); ++j) {
            CAPTURE(j, y[j], expected[j]);
            REQUIRE(k::to_bf16(y[j]) == k::to_bf16(k::round_to_bf16(y[j])));  // a bf16 value
            REQUIRE(std::abs(y[j] - expected[j]) <= 0x1p-7f * std::abs(expected[j]) + 1e-6f);
        }
    }
}

template <class Arch>
void check_bf16_linear_shapes() {
    for (std::size_t batch : {1, 2, 3, 5, 7, 16, 17, 33, 40}) {
        // Inputs below, at and above a multiple of 32; outputs below, at and above 16 and 32.
        check_bf16_linear<1, 1, Arch, k::identity_op>(batch);
        check_bf16_linear<5, 7, Arch, k::relu_op>(batch);
        check_bf16_linear<32, 17, Arch, k::tanh_op>(batch);
        check_bf16_linear<33, 40, Arch, k::identity_op>(batch);
        check_bf16_linear<100, 16, Arch, k::sigmoid_op>(batch);
    }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("bf16 products match the scalar reference on every instruction set", "[bf16]", Archs) {
    const bool amx = k::amx_request();
    check_bf16_linear_shapes<TestType>();
    if (amx) {  // and the AVX-512 path of a machine with AMX, as if the OS had refused the tiles
        k::detail::amx_granted.store(false);
        check_bf16_linear_shapes<TestType>();
        k::detail::amx_granted.store(true);
    }
}

namespace {
using Mlp = ctnn::Seq<ctnn::Linear<40, 48>, ctnn::ReLU, ctnn::Linear<48, 33>, ctnn::Sigmoid,
                      ctnn::Linear<33, 20, ctnn::NoBias>, ctnn::Tanh, ctnn::Linear<20, 17>, ctnn::LeakyReLU,
                      ctnn::Linear<17, 5>>;
using Cnn = ctnn::Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3>, ctnn::BatchNorm2d<4>, ctnn::ReLU,
                      ctnn::MaxPool2D<2>, ctnn::Flatten, ctnn::Linear<64, 10>, ctnn::Sigmoid, ctnn::Linear<10, 3>>;

template <class Net>
std::unique_ptr<Net> random_model() {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(7);
    ctnn::init::pytorch_default(*net, rng);
    return net;
}

/// The bf16 model's outputs are bf16 values close to the fp32 model's; a batch gives each
/// sample what forward(x) gives it alone, to one bf16 step (AMX and the single-sample kernel
/// sum in different orders).
template <class Net>
void check_against_fp32(std::size_t batch) {
    const auto net = random_model<Net>();
    const ctnn::Bf16Model<Net> half(*net);
    const auto x = test::random_vector(batch * Net::in_size, 11);
    std::vector<float> y(batch * Net::out_size), y32(batch * Net::out_size);
    ctnn::InferenceScratch<Net> scratch(batch);
    half.forward(x, y, scratch);
    net->forward(x, y32, scratch);
    for (std::size_t j = 0; j < y.size(); ++j) {
        CAPTURE(j, y[j], y32[j]);
        REQUIRE(k::round_to_bf16(y[j]) == y[j]);
        REQUIRE(std::abs(y[j] - y32[j]) <= 0.03f * (1 + std::abs(y32[j])));
    }
    for (std::size_t r = 0; r < batch; ++r) {
        std::array<float, Net::in_size> one;
        std::copy_n(x.begin() + std::ptrdiff_t(r * Net::in_size), Net::in_size, one.begin());
        const auto alone = half.forward(one);
        for (std::size_t o = 0; o < Net::out_size; ++o) {
            CAPTURE(r, o);
            REQUIRE(std::abs(alone[o] - y[r * Net::out_size + o]) <= 0x1p-7f * std::abs(alone[o]) + 1e-6f);
        }
    }
}
}  // namespace

TEST_CASE("Bf16Model: bf16 values close to the fp32 model's, for one sample and for batches", "[bf16]") {
    for (std::size_t batch : {1, 3, 37}) {
        check_against_fp32<Mlp>(batch);
        check_against_fp32<Cnn>(batch);
    }
}

TEST_CASE("Bf16Model: the weights are the model's rounded once, in half the bytes", "[bf16]") {
    const auto net = random_model<Mlp>();
    const ctnn::Bf16Model<Mlp> half(*net);
    const auto w = net->layer<2>().weight;
    const std::uint16_t* packed = half.packed_weight(2);
    for (std::size_t o = 0; o < 33; ++o)
        for (std::size_t i = 0; i < 48; ++i) REQUIRE(packed[k::bf16_packed_index(48, o, i)] == k::to_bf16(w(o, i)));
    STATIC_REQUIRE(ctnn::Bf16Model<Mlp>::layout.entries[1].bf16 == false);  // the ReLU
    STATIC_REQUIRE(ctnn::Bf16Model<Mlp>::layout.entries[4].side_size == 0);  // no bias
    using Big = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
    STATIC_REQUIRE(ctnn::Bf16Model<Big>::parameter_bytes < Big::parameter_block_size * sizeof(float) * 52 / 100);
}

TEST_CASE("Bf16Model: a trained classifier keeps its accuracy", "[bf16]") {
    // Ten Gaussian clusters in 16 dimensions, a 16-64-10 classifier trained for a few epochs.
    using Net = ctnn::Seq<ctnn::Linear<16, 64>, ctnn::ReLU, ctnn::Linear<64, 10>>;
    constexpr std::size_t n = 2000;
    ctnn::Rng rng(3);
    std::vector<float> centres(10 * 16), x(n * 16);
    std::vector<int> labels(n);
    for (float& c : centres) c = float(rng.normal()) * 1.2f;
    for (std::size_t i = 0; i < n; ++i) {
        labels[i] = int(i % 10);
        for (std::size_t f = 0; f < 16; ++f) x[i * 16 + f] = centres[std::size_t(labels[i]) * 16 + f] + float(rng.normal());
    }
    auto net = std::make_unique<Net>();
    ctnn::init::pytorch_default(*net, rng);
    ctnn::train::StepBuffers<Net> buffers(100);
    ctnn::optim::Adam<Net> adam({.lr = 0.01f});
    for (int epoch = 0; epoch < 5; ++epoch)
        for (std::size_t b = 0; b < n; b += 100)
            ctnn::train::step(*net, adam, ctnn::loss::SoftmaxCrossEntropy{},
                              std::span<const float>(x).subspan(b * 16, 1600),
                              std::span<const int>(labels).subspan(b, 100), buffers);
    const ctnn::Bf16Model<Net> half(*net);
    std::size_t right32 = 0, right16 = 0, same = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::array<float, 16> one;
        std::copy_n(x.begin() + std::ptrdiff_t(i * 16), 16, one.begin());
        const std::size_t a = net->predict(one), c = half.predict(one);
        right32 += a == std::size_t(labels[i]);
        right16 += c == std::size_t(labels[i]);
        same += a == c;
    }
    CAPTURE(right32, right16, same);
    REQUIRE(right32 > n * 8 / 10);  // the classifier learned something
    REQUIRE(same >= n * 99 / 100);
    REQUIRE(std::abs(double(right32) - double(right16)) <= double(n) * 0.005);
}

TEST_CASE("Bf16Model loads safetensors: a BF16 file's values as they are, others rounded", "[bf16][io]") {
    using Small = ctnn::Seq<ctnn::Linear<13, 17>, ctnn::Tanh, ctnn::Linear<17, 5>>;
    const std::string file = std::string(CTNN_TEST_DATA_DIR) + "/torch_export_small_bf16.safetensors";
    auto net = std::make_unique<Small>();  // BF16 -> float is exact
    ctnn::io::load_safetensors(*net, file);
    const ctnn::Bf16Model<Small> converted(*net);
    ctnn::Bf16Model<Small> loaded;
    ctnn::io::load_safetensors(loaded, file);
    for (std::size_t i : {0, 2}) {
        const auto& e = ctnn::Bf16Model<Small>::layout.entries[i];
        REQUIRE(std::equal(converted.packed_weight(i), converted.packed_weight(i) + k::bf16_packed_size(e.rows, e.cols),
                           loaded.packed_weight(i)));
    }
    const auto x = test::random_vector(4 * 13, 5);
    std::vector<float> a(4 * 5), b(4 * 5);
    ctnn::InferenceScratch<Small> scratch(4);
    converted.forward(x, a, scratch);
    loaded.forward(x, b, scratch);
    REQUIRE(a == b);

    // An F32 file (a model saved by ctnn) loads rounded, as Bf16Model(model) rounds.
    const auto bytes = ctnn::io::safetensors_bytes(*random_model<Mlp>());
    ctnn::Bf16Model<Mlp> from_bytes;
    ctnn::io::load_safetensors(from_bytes, bytes);
    const ctnn::Bf16Model<Mlp> direct(*random_model<Mlp>());
    std::vector<float> c(3 * Mlp::out_size), d(3 * Mlp::out_size);
    ctnn::InferenceScratch<Mlp> mlp_scratch(3);
    const auto xs = test::random_vector(3 * Mlp::in_size, 6);
    from_bytes.forward(xs, c, mlp_scratch);
    direct.forward(xs, d, mlp_scratch);
    REQUIRE(c == d);

    // A file for another model: refused with the tensor, the layer and both shapes, nothing changed.
    const auto result = ctnn::io::try_load_safetensors(loaded, bytes, "mlp.safetensors");
    REQUIRE_FALSE(result);
    CHECK_THAT(result.message, Catch::Contains("mlp.safetensors") && Catch::Contains("0.weight") &&
                                   Catch::Contains("ctnn::Linear<13,17> at position 0"));
    loaded.forward(x, b, scratch);
    REQUIRE(a == b);
}
