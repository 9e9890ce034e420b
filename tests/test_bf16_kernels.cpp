// bfloat16 kernels: the rounding, the packed weight layout, the products against a scalar
// reference on every instruction set this build runs (and on AMX, where it is granted, and
// without it). Bf16Model: test_bf16.cpp.
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
