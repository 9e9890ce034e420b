// Int8Model against the fp32 model, a trained classifier's accuracy, and safetensors files and
// headers of int8 models: saved, loaded, refused. (The kernels: test_int8_kernels.cpp; PyTorch's
// observers and arithmetic: test_torch_reference.cpp.)
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/header_export.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/kernels/int8.hpp>
#include <cmath>
#include <limits>
#include <sstream>
#include <tuple>
#include <vector>
#include "reduced_precision.hpp"
#include "support.hpp"

namespace k = ctnn::kernels;

namespace {
using Mlp = test::PrecisionMlp;
using Cnn = test::PrecisionCnn;

/// The int8 model's outputs are close to the fp32 model's on the data it was calibrated with,
/// and a batch gives each sample what forward(x) gives it alone, to the bit (integer sums).
template <class Net>
void check_against_fp32(std::size_t batch) {
    const auto net = test::make_net<Net>(7);
    std::vector<float> x = test::random_vector(batch * Net::in_size, 11);
    for (float& v : x) v = std::abs(v);  // images: non-negative
    const ctnn::Int8Model<Net> q(*net, x);
    std::vector<float> y(batch * Net::out_size), y32(batch * Net::out_size);
    ctnn::InferenceScratch<Net> scratch(batch);
    q.forward(x, y, scratch);
    net->forward(x, y32, scratch);
    float range = 0;
    for (float v : y32) range = std::max(range, std::abs(v));
    for (std::size_t j = 0; j < y.size(); ++j) {
        CAPTURE(j, y[j], y32[j]);
        REQUIRE(std::abs(y[j] - y32[j]) <= 0.05f * range);
    }
    for (std::size_t r = 0; r < batch; ++r) {
        std::array<float, Net::in_size> one;
        std::copy_n(x.begin() + std::ptrdiff_t(r * Net::in_size), Net::in_size, one.begin());
        const auto alone = q.forward(one);
        for (std::size_t o = 0; o < Net::out_size; ++o) {
            CAPTURE(r, o);
            REQUIRE(alone[o] == y[r * Net::out_size + o]);
        }
    }
}
}  // namespace

TEST_CASE("Int8Model: close to the fp32 model, for one sample and for batches", "[int8]") {
    for (std::size_t batch : {1, 3, 37}) {
        check_against_fp32<Mlp>(batch);
        check_against_fp32<Cnn>(batch);
    }
}

TEST_CASE("Int8Model: int8 weights per output, a quarter of the bytes", "[int8]") {
    const auto net = test::make_net<Mlp>(7);
    const auto x = test::random_vector(10 * Mlp::in_size, 3);
    const ctnn::Int8Model<Mlp> q(*net, x);
    const auto w = net->layer<2>().weight;
    for (std::size_t o = 0; o < 33; ++o) {
        const float s = q.weight_scales(2)[o];
        for (std::size_t i = 0; i < 48; ++i) {
            CAPTURE(o, i);
            REQUIRE(q.packed_weight(2)[k::int8_packed_index(48, o, i)] == k::quantize_weight(w(o, i), s));
            REQUIRE(std::abs(float(q.packed_weight(2)[k::int8_packed_index(48, o, i)]) * s - w(o, i)) <= 0.5f * s);
        }
    }
    STATIC_REQUIRE(ctnn::Int8Model<Mlp>::layout.entries[1].int8 == false);  // the ReLU
    STATIC_REQUIRE(ctnn::Int8Model<Mlp>::layout.entries[4].bias == false);  // NoBias
    using Big = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
    STATIC_REQUIRE(ctnn::Int8Model<Big>::parameter_bytes < Big::parameter_block_size * sizeof(float) * 27 / 100);
}

TEST_CASE("Int8Model: a trained classifier keeps its accuracy", "[int8]") {
    // Calibrated on 200 of the training samples.
    const test::ClusterClassifier c;
    const std::span<const float> calibration = std::span<const float>(c.x).first(200 * 16);
    c.require_keeps_accuracy(ctnn::Int8Model<test::ClusterClassifier::Net>(*c.net, calibration), 98);
}

namespace {
template <class Net>
void require_same_outputs(const ctnn::Int8Model<Net>& a, const ctnn::Int8Model<Net>& b) {
    const auto x = test::random_vector(5 * Net::in_size, 9);
    std::vector<float> ya(5 * Net::out_size), yb(5 * Net::out_size);
    ctnn::InferenceScratch<Net> scratch(5);
    a.forward(x, ya, scratch);
    b.forward(x, yb, scratch);
    REQUIRE(ya == yb);
}
}  // namespace

TEST_CASE("Int8Model saves and loads safetensors: I8 weights, scales, zero points", "[int8][io]") {
    const auto net = test::make_net<Cnn>(7);
    const auto x = test::random_vector(20 * Cnn::in_size, 4);
    const ctnn::Int8Model<Cnn> q(*net, x);
    const auto bytes = ctnn::io::safetensors_bytes(q);
    // The file says what it holds: int8 weights, a quarter of the fp32 model's bytes for them.
    const std::string header(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    REQUIRE_THAT(header, Catch::Contains("\"5.weight\":{\"dtype\":\"I8\",\"shape\":[10,64]"));
    REQUIRE_THAT(header, Catch::Contains("\"5.input_zero_point\":{\"dtype\":\"I64\",\"shape\":[]"));
    REQUIRE_THAT(header, Catch::Contains("\"0.weight\":{\"dtype\":\"F32\""));  // the convolution stays fp32

    ctnn::Int8Model<Cnn> loaded;
    ctnn::io::load_safetensors(loaded, bytes);
    require_same_outputs(q, loaded);
    REQUIRE(ctnn::io::safetensors_bytes(loaded) == bytes);

    SECTION("into a fp32 model: refused, pointing to Int8Model") {
        auto fp32 = std::make_unique<Cnn>();
        const auto r = ctnn::io::try_load_safetensors(*fp32, std::span<const std::byte>(bytes), "q.safetensors");
        REQUIRE_FALSE(r);
        REQUIRE(r.kind == ctnn::io::LoadErrorKind::unsupported_dtype);
        REQUIRE_THAT(r.message, Catch::Contains("q.safetensors") && Catch::Contains("\"5.weight\"") &&
                                    Catch::Contains("dtype I8") && Catch::Contains("load it into a ctnn::Int8Model"));
    }
    SECTION("a fp32 model's file into an Int8Model: refused, naming what it expects") {
        const auto fp32 = ctnn::io::safetensors_bytes(*net);
        ctnn::Int8Model<Cnn> m;
        const auto r = ctnn::io::try_load_safetensors(m, std::span<const std::byte>(fp32), "fp32.safetensors");
        REQUIRE_FALSE(r);
        REQUIRE_THAT(r.message, Catch::Contains("\"5.weight\"") && Catch::Contains("expects I8"));
    }
    SECTION("a zero point above 255 or a scale that is not positive: refused, the model unchanged") {
        auto edit = [&](const std::string& name, auto&& change) {
            std::vector<std::byte> b = bytes;
            const std::uint64_t header_size = std::uint64_t(std::to_integer<unsigned char>(b[0])) |
                                              std::uint64_t(std::to_integer<unsigned char>(b[1])) << 8;
            const std::string h(reinterpret_cast<const char*>(b.data()) + 8, header_size);
            const std::size_t at = h.find("\"" + name + "\"");
            const std::size_t offsets = h.find("data_offsets\":[", at) + 15;
            const std::size_t begin = std::stoul(h.substr(offsets));
            change(b.data() + 8 + header_size + begin);
            return b;
        };
        const auto zero = edit("5.input_zero_point", [](std::byte* p) { p[0] = std::byte{0x2C}, p[1] = std::byte{1}; });
        ctnn::Int8Model<Cnn> m(q);
        auto r = ctnn::io::try_load_safetensors(m, std::span<const std::byte>(zero), "z.safetensors");
        REQUIRE_FALSE(r);
        REQUIRE(r.kind == ctnn::io::LoadErrorKind::invalid_value);
        REQUIRE_THAT(r.message, Catch::Contains("\"5.input_zero_point\"") && Catch::Contains("300") &&
                                    Catch::Contains("at most 255"));
        const auto scale = edit("7.input_scale", [](std::byte* p) { p[0] = p[1] = p[2] = p[3] = std::byte{0}; });
        r = ctnn::io::try_load_safetensors(m, std::span<const std::byte>(scale), "s.safetensors");
        REQUIRE_FALSE(r);
        REQUIRE_THAT(r.message, Catch::Contains("\"7.input_scale\"") && Catch::Contains("must be positive"));
        require_same_outputs(q, m);
    }
}

TEST_CASE("Int8Model exports to a header holding its file, which loads back to the same model", "[int8][io]") {
    using Net = ctnn::Seq<ctnn::Linear<12, 9>, ctnn::ReLU, ctnn::Linear<9, 4>>;
    const auto net = test::make_net<Net>(7);
    const auto x = test::random_vector(30 * Net::in_size, 2);
    const ctnn::Int8Model<Net> q(*net, x);
    std::ostringstream out;
    ctnn::io::HeaderOptions options;
    options.name_space = "tiny";
    ctnn::io::write_header(q, out, options);
    const std::string h = out.str();
    REQUIRE_THAT(h, Catch::Contains("namespace tiny {") &&
                        Catch::Contains("using Net = ctnn::Seq<ctnn::Linear<12,9>, ctnn::ReLU, ctnn::Linear<9,4>>;") &&
                        Catch::Contains("inline constexpr unsigned char safetensors["));
    // The array's values, read back as the compiler would.
    std::vector<unsigned char> data;
    std::istringstream in(h.substr(h.find("= {\n") + 4));
    unsigned v = 0;
    char comma = 0;
    while (in >> v >> comma && comma == ',') data.push_back(static_cast<unsigned char>(v));
    REQUIRE(data.size() == ctnn::io::safetensors_bytes(q).size());
    ctnn::Int8Model<Net> loaded;
    ctnn::io::load_safetensors(loaded, std::as_bytes(std::span(data)));
    require_same_outputs(q, loaded);
}
