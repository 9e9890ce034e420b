// int8 kernels: quantisation as PyTorch's observers compute it, the packed layout, the products
// of every instruction set (VNNI and the widening path) held to the scalar reference (the int32
// sums to the bit). Int8Model: test_int8.cpp.
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
#include "archs.hpp"
#include "support.hpp"

namespace k = ctnn::kernels;

TEST_CASE("int8 quantisation of one value: nearest even, clamped, NaN to the bottom", "[int8]") {
    REQUIRE(k::quantize(0.0f, 1.0f, 10) == 10);
    REQUIRE(k::quantize(2.5f, 1.0f, 0) == 2);  // ties to even
    REQUIRE(k::quantize(3.5f, 1.0f, 0) == 4);
    REQUIRE(k::quantize(-1.5f, 1.0f, 10) == 8);
    REQUIRE(k::quantize(1e30f, 1.0f, 0) == 255);
    REQUIRE(k::quantize(-1e30f, 1.0f, 200) == 0);
    REQUIRE(k::quantize(std::numeric_limits<float>::infinity(), 1.0f, 0) == 255);
    REQUIRE(k::quantize(std::numeric_limits<float>::quiet_NaN(), 1.0f, 128) == 0);
    REQUIRE(k::quantize(0.5f, 255.0f, 0) == 128);  // 127.5 -> 128
}

TEST_CASE("int8 quantisation parameters are PyTorch's observers'", "[int8]") {
    // MinMaxObserver(quint8): the range widened to hold 0, in 255 steps; zero point round(-min / scale).
    auto q = k::ActivationQuantization::from_range(0.0f, 1.0f);
    REQUIRE(q.scale == 1.0f / 255.0f);
    REQUIRE(q.zero_point == 0);
    q = k::ActivationQuantization::from_range(-1.0f, 3.0f);
    REQUIRE(q.scale == 4.0f / 255.0f);
    REQUIRE(q.zero_point == 64);  // 63.75
    q = k::ActivationQuantization::from_range(0.5f, 2.0f);  // 0 is inside
    REQUIRE(q.scale == 2.0f / 255.0f);
    REQUIRE(q.zero_point == 0);
    q = k::ActivationQuantization::from_range(-2.0f, -1.0f);
    REQUIRE(q.zero_point == 255);
    q = k::ActivationQuantization::from_range(0.0f, 0.0f);  // a constant input: the smallest scale
    REQUIRE(q.scale > 0);
    // Weights: symmetric per output, max |w| / 127.
    const float row[] = {0.5f, -1.27f, 0.0f, 0.01f};
    const float s = k::weight_scale(row, 4);
    REQUIRE(s == 1.27f / 127.0f);
    REQUIRE(k::quantize_weight(-1.27f, s) == -127);
    REQUIRE(k::quantize_weight(0.5f, s) == 50);
    REQUIRE(k::quantize_weight(0.01f, s) == 1);
    REQUIRE(k::quantize_weight(5.0f, s) == 127);  // clamped
}

TEST_CASE("the int8 packed layout: 16 outputs x input quads, padded with zeros", "[int8]") {
    STATIC_REQUIRE(k::int8_quads(1) == 1);
    STATIC_REQUIRE(k::int8_quads(784) == 196);
    STATIC_REQUIRE(k::int8_packed_size(10, 5) == 1 * 2 * 64);
    STATIC_REQUIRE(k::int8_packed_size(17, 8) == 2 * 2 * 64);
    STATIC_REQUIRE(k::int8_packed_index(8, 0, 0) == 0);
    STATIC_REQUIRE(k::int8_packed_index(8, 0, 3) == 3);
    STATIC_REQUIRE(k::int8_packed_index(8, 1, 0) == 4);
    STATIC_REQUIRE(k::int8_packed_index(8, 0, 4) == 64);
    STATIC_REQUIRE(k::int8_packed_index(8, 16, 0) == 128);
}

namespace {

/// A random layer in the kernels' terms: weights in [-127, 127] (and the extremes), inputs
/// spread over more than the quantised range, some NaN.
template <std::size_t In, std::size_t Out>
struct RandomInt8Layer {
    std::vector<std::int8_t> packed = std::vector<std::int8_t>(k::int8_packed_size(Out, In));
    std::vector<float> scale = std::vector<float>(Out), bias = std::vector<float>(Out);
    std::vector<std::int32_t> offset = std::vector<std::int32_t>(Out);
    float inverse = 0;
    std::int32_t zero_point = 0;

    RandomInt8Layer(unsigned seed, bool exact) {
        ctnn::Rng rng(seed);
        for (std::size_t o = 0; o < Out; ++o)
            for (std::size_t i = 0; i < In; ++i)
                packed[k::int8_packed_index(In, o, i)] =
                    std::int8_t((o + i) % 11 == 0 ? ((o + i) % 2 ? 127 : -127) : int(rng.uniform(-127.5f, 127.5f)));
        zero_point = int(rng.uniform(0.0f, 255.0f));
        inverse = exact ? 1.0f : rng.uniform(20.0f, 60.0f);
        for (std::size_t o = 0; o < Out; ++o) {
            scale[o] = exact ? 1.0f : rng.uniform(1e-4f, 1e-2f);
            bias[o] = exact ? 0.0f : rng.uniform(-1.0f, 1.0f);
            offset[o] = std::int32_t(rng.uniform(-1000.0f, 1000.0f));
        }
    }
    k::Int8LinearParams params() const { return {packed.data(), inverse, zero_point, scale.data(), offset.data(), bias.data()}; }
};

/// Inputs: exact=true gives integers (the quantised values exact, the sums too), else values
/// across and beyond the quantised range, a NaN and infinities among them.
std::vector<float> int8_inputs(std::size_t n, unsigned seed, bool exact) {
    ctnn::Rng rng(seed);
    std::vector<float> x(n);
    for (float& v : x) v = exact ? std::nearbyint(rng.uniform(-140.0f, 140.0f)) : rng.uniform(-4.0f, 4.0f);
    if (n > 7) {
        x[3] = std::numeric_limits<float>::quiet_NaN();
        x[5] = std::numeric_limits<float>::infinity();
        x[7] = -std::numeric_limits<float>::infinity();
    }
    return x;
}

template <class Arch, bool Vnni, std::size_t In, std::size_t Out, class Epilogue = k::identity_op>
void check_int8_linear(std::size_t batch, bool exact) {
    CAPTURE(In, Out, batch, exact, Vnni);
    const RandomInt8Layer<In, Out> layer(unsigned(In * 31 + Out), exact);
    const auto x = int8_inputs(batch * In, unsigned(batch + In), exact);
    std::vector<float> y(batch * Out), ref(batch * Out);
    k::int8_linear_forward<In, Out, Epilogue, Arch, Vnni>(x.data(), batch, layer.params(), y.data());
    k::int8_linear_reference<In, Out, Epilogue>(x.data(), batch, layer.params(), ref.data());
    for (std::size_t j = 0; j < y.size(); ++j) {
        CAPTURE(j);
        if (exact) REQUIRE(y[j] == ref[j]);  // float(sum - offset): exact below 2^24
        else REQUIRE(y[j] == Approx(ref[j]).epsilon(1e-6).margin(1e-6));
    }
}

template <class Arch, bool Vnni>
void check_int8_shapes() {
    for (bool exact : {true, false}) {
        for (std::size_t batch : {1, 2, 3, 5, 6, 7, 13}) {  // every tail of the row blocks
            check_int8_linear<Arch, Vnni, 3, 7>(batch, exact);     // less than a quad, a vector
            check_int8_linear<Arch, Vnni, 5, 17>(batch, exact);    // a quad and one; a block and one
            check_int8_linear<Arch, Vnni, 64, 100>(batch, exact);  // whole vectors; a ragged last block
        }
        check_int8_linear<Arch, Vnni, 130, 300>(4, exact);
        check_int8_linear<Arch, Vnni, 130, 300>(1, exact);
    }
    check_int8_linear<Arch, Vnni, 37, 33, k::relu_op>(9, false);
    check_int8_linear<Arch, Vnni, 37, 33, k::tanh_op>(1, false);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("int8 products match the scalar reference on every instruction set", "[int8]", Archs) {
    INFO(TestType::name() << (k::detail::Int8Math<TestType>::vnni ? " with VNNI" : " without VNNI"));
    check_int8_shapes<TestType, true>();
    if constexpr (k::detail::Int8Math<TestType>::vnni) check_int8_shapes<TestType, false>();  // the widening path too
}
