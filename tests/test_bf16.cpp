// Bf16Model against the fp32 model it was made from, a trained classifier's accuracy, BF16 and
// F32 files. (The kernels: test_bf16_kernels.cpp; PyTorch's own bf16 outputs:
// test_torch_reference.cpp.)
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/kernels/bf16.hpp>
#include <bit>
#include <cmath>
#include <tuple>
#include <vector>
#include "reduced_precision.hpp"
#include "support.hpp"

namespace k = ctnn::kernels;

namespace {
using Mlp = test::PrecisionMlp;
using Cnn = test::PrecisionCnn;

/// The bf16 model's outputs are bf16 values close to the fp32 model's; a batch gives each
/// sample what forward(x) gives it alone, to one bf16 step (AMX and the single-sample kernel
/// sum in different orders).
template <class Net>
void check_against_fp32(std::size_t batch) {
    const auto net = test::make_net<Net>(7);
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
    const auto net = test::make_net<Mlp>(7);
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
    const test::ClusterClassifier c;
    c.require_keeps_accuracy(ctnn::Bf16Model<test::ClusterClassifier::Net>(*c.net), 99);
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
    const auto bytes = ctnn::io::safetensors_bytes(*test::make_net<Mlp>(7));
    ctnn::Bf16Model<Mlp> from_bytes;
    ctnn::io::load_safetensors(from_bytes, bytes);
    const ctnn::Bf16Model<Mlp> direct(*test::make_net<Mlp>(7));
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
