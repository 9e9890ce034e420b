// Every SIMD kernel against its scalar reference (kernels/reference.hpp), for every instruction
// set this build can run, for sizes that are and are not multiples of the vector width.
#include <ctnn/kernels/elementwise.hpp>
#include <ctnn/kernels/linear.hpp>
#include <ctnn/kernels/optimizer.hpp>
#include <ctnn/kernels/recurrent.hpp>
#include <ctnn/kernels/reference.hpp>
#include <ctnn/kernels/softmax.hpp>
#include <ctnn/kernels/transpose.hpp>
#include <string_view>
#include <tuple>
#include <type_traits>
#include "archs.hpp"
#include "support.hpp"

namespace k = ctnn::kernels;

using Ops = std::tuple<k::identity_op, k::relu_op, k::leaky_relu_op<1, 100>, k::sigmoid_op, k::tanh_op>;

template <std::size_t In, std::size_t Out, class Arch, class Op>
void check_linear(std::size_t batch) {
    CAPTURE(In, Out, batch, Arch::name());
    const auto x = test::random_vector(batch * In, 1 + In);
    const auto w = test::random_vector(Out * In, 2 + Out, 0.5);
    const auto b = test::random_vector(Out, 3);
    const auto dy = test::random_vector(batch * Out, 4);
    std::vector<float> y(batch * Out), y_ref(batch * Out);
    k::linear_forward<In, Out, Op, Arch>(x.data(), batch, w.data(), b.data(), y.data());
    k::reference::linear_forward<Op>(In, Out, x.data(), batch, w.data(), b.data(), y_ref.data());
    test::require_close(y, y_ref, 1e-5, 1e-5, "forward");

    std::vector<float> dx(batch * In, -1.0f), dx_ref(batch * In);
    k::linear_input_grad<In, Out, Arch>(dy.data(), batch, w.data(), dx.data());
    k::reference::linear_input_grad(In, Out, dy.data(), batch, w.data(), dx_ref.data());
    test::require_close(dx, dx_ref, 1e-5, 1e-5, "input gradient");

    // Parameter gradients accumulate: start both from the same non-zero values.
    auto dw = test::random_vector(Out * In, 5), db = test::random_vector(Out, 6);
    auto dw_ref = dw, db_ref = db;
    k::linear_param_grad<In, Out, Arch>(x.data(), dy.data(), batch, dw.data(), db.data());
    k::reference::linear_param_grad(In, Out, x.data(), dy.data(), batch, dw_ref.data(), db_ref.data());
    test::require_close(dw, dw_ref, 1e-5, 1e-5, "weight gradient");
    test::require_close(db, db_ref, 1e-5, 1e-5, "bias gradient");
}

template <class Arch, class Op, std::size_t In, std::size_t Out>
void check_linear_all_batches() {
    for (std::size_t batch : {1, 2, 3, 4, 5, 7, 8, 13, 20, 48, 100}) check_linear<In, Out, Arch, Op>(batch);
}

TEST_CASE("register counts are the instruction set's, not inferred from the vector width", "[kernels]") {
    STATIC_REQUIRE(k::vector_registers<xsimd::sse2> == 16);
    STATIC_REQUIRE(k::vector_registers<xsimd::fma3<xsimd::avx2>> == 16);
    STATIC_REQUIRE(k::vector_registers<xsimd::avx512bw> == 32);
    STATIC_REQUIRE(k::vector_registers<k::avx512_vnni_bf16> == 32);
    STATIC_REQUIRE(std::string_view(k::avx512_vnni_bf16::name()) == "avx512bw+vnni+bf16");
}

TEMPLATE_LIST_TEST_CASE("linear kernels match the scalar reference for odd and aligned sizes", "[kernels]", Archs) {
    check_linear_all_batches<TestType, k::identity_op, 1, 1>();
    check_linear_all_batches<TestType, k::identity_op, 3, 5>();
    check_linear_all_batches<TestType, k::identity_op, 17, 33>();
    check_linear_all_batches<TestType, k::identity_op, 33, 17>();
    check_linear_all_batches<TestType, k::identity_op, 16, 32>();
    check_linear_all_batches<TestType, k::identity_op, 1000, 5>();
    check_linear_all_batches<TestType, k::identity_op, 5, 1000>();
    check_linear_all_batches<TestType, k::identity_op, 784, 256>();
    // Rows of 4 and 8 AVX-512 vectors (8 and 16 AVX2 ones): the 6x4 blocks of axpy_product.
    check_linear_all_batches<TestType, k::identity_op, 64, 7>();
    check_linear_all_batches<TestType, k::identity_op, 128, 9>();
    // Batch 1 with short rows kept in registers (up to 8 vectors), groups of outputs and a tail.
    check_linear_all_batches<TestType, k::identity_op, 64, 53>();
    // Inputs too wide for L2 at batch 100: the weight gradient in column chunks (and a tail).
    check_linear_all_batches<TestType, k::identity_op, 3000, 3>();
    // Batches of 16-register instruction sets run on transposed inputs from 64 outputs on: blocks
    // of 256 inputs and a short one, a tail of weight rows; their sums in groups of 128 outputs
    // (300: two whole and one of 44; 130: one of 2 rows, inputs past the last transposed tile).
    check_linear_all_batches<TestType, k::identity_op, 300, 65>();
    check_linear_all_batches<TestType, k::identity_op, 33, 130>();
    check_linear_all_batches<TestType, k::identity_op, 600, 50>();
    // Their backward products pack B in panels from 48 rows on: a depth past one panel's (300
    // outputs), whole panels, a single vector and a scalar tail of columns (45 inputs).
    check_linear_all_batches<TestType, k::identity_op, 45, 300>();
}

template <class Arch, class Op>
void check_fused_epilogue() {
    check_linear_all_batches<Arch, Op, 17, 33>();
    check_linear_all_batches<Arch, Op, 256, 10>();
    check_linear_all_batches<Arch, Op, 33, 70>();
}

TEMPLATE_LIST_TEST_CASE("linear forward fuses every activation as its epilogue", "[kernels]", Archs) {
    check_fused_epilogue<TestType, k::relu_op>();
    check_fused_epilogue<TestType, k::leaky_relu_op<1, 100>>();
    check_fused_epilogue<TestType, k::sigmoid_op>();
    check_fused_epilogue<TestType, k::elu_op<1, 1>>();
    check_fused_epilogue<TestType, k::tanh_op>();
}

template <class Arch, class Op>
void check_activation(std::size_t n) {
    CAPTURE(n, Arch::name());
    const auto x = test::random_vector(n, 7 + n, 6.0);
    const auto dy = test::random_vector(n, 8 + n);
    std::vector<float> y(n), y_ref(n), dx(n), dx_ref(n);
    k::activation_forward<Op, Arch>(x.data(), n, y.data());
    k::reference::activation_forward<Op>(x.data(), n, y_ref.data());
    test::require_close(y, y_ref, 2e-6, 1e-7, "activation");
    k::activation_backward<Op, Arch>(y_ref.data(), dy.data(), n, dx.data());
    k::reference::activation_backward<Op>(y_ref.data(), dy.data(), n, dx_ref.data());
    test::require_close(dx, dx_ref, 2e-6, 1e-7, "activation backward");
}

TEMPLATE_LIST_TEST_CASE("a transposition in register tiles moves every element where one at a time does", "[kernels]",
                        Archs) {
    // Whole tiles (8 x 8 with AVX, 4 x 4 with SSE2), edges of rows, of columns and of both, a
    // matrix smaller than a tile, and a recurrent layer's states (4096 steps x 8 units).
    const std::pair<std::size_t, std::size_t> shapes[] = {{1, 1}, {3, 5}, {4, 4}, {8, 8}, {9, 17},
                                                          {16, 64}, {37, 24}, {24, 37}, {4096, 8}};
    for (const auto& [rows, cols] : shapes) {
        const std::vector<float> src = test::random_vector(rows * cols, 11);
        std::vector<float> dst(rows * cols, -1.0f);
        k::transpose<TestType>(src.data(), rows, cols, dst.data());
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                INFO(rows << " x " << cols << ", element " << r << ", " << c);
                REQUIRE(dst[c * rows + r] == src[r * cols + c]);
            }
    }
}

template <std::size_t Gates, std::size_t Hidden, class Arch>
void check_packed_hidden() {
    using A = k::detail::fitting_arch<Arch, Hidden>;
    constexpr std::size_t rows = Gates * Hidden;
    if constexpr (rows % k::lanes<A> == 0) {
        CAPTURE(Gates, Hidden, A::name());
        const auto w = test::random_vector(rows * Hidden, 11 + Hidden, 0.5);
        const auto b = test::random_vector(rows, 12);
        const auto h = test::random_vector(Hidden, 13);
        std::vector<float> packed(k::packed_hidden_size<Gates, Hidden>), out(rows), expected(rows);
        k::pack_hidden<Gates, Hidden, Arch>(w.data(), packed.data());
        k::detail::packed_hidden_product<Hidden, rows, A>(h.data(), packed.data(), b.data(), out.data());
        for (std::size_t r = 0; r < rows; ++r) {
            double sum = b[r];
            for (std::size_t j = 0; j < Hidden; ++j) sum += double(w[r * Hidden + j]) * h[j];
            expected[r] = float(sum);
        }
        test::require_close(out, expected, 1e-5, 1e-5, "packed hidden product");
    }
}

TEMPLATE_LIST_TEST_CASE("the hidden product on W_hh packed by columns is W_hh h + b for every group shape",
                        "[kernels][recurrent]", Archs) {
    // Groups of 3, 4 (two sums each), 5, 6, 9 and 12 vectors, and several groups.
    check_packed_hidden<3, 8, TestType>();
    check_packed_hidden<4, 8, TestType>();
    check_packed_hidden<4, 10, TestType>();
    check_packed_hidden<3, 16, TestType>();
    check_packed_hidden<3, 24, TestType>();
    check_packed_hidden<4, 32, TestType>();
    check_packed_hidden<3, 64, TestType>();
}

TEMPLATE_LIST_TEST_CASE("activation maps and derivatives match the scalar reference", "[kernels]", Archs) {
    for (std::size_t n : {1, 3, 5, 16, 17, 33, 1000}) {
        check_activation<TestType, k::relu_op>(n);
        check_activation<TestType, k::leaky_relu_op<1, 100>>(n);
        check_activation<TestType, k::leaky_relu_op<1, 5>>(n);
        check_activation<TestType, k::sigmoid_op>(n);
        check_activation<TestType, k::elu_op<1, 1>>(n);
        check_activation<TestType, k::elu_op<1, 2>>(n);
        check_activation<TestType, k::tanh_op>(n);
    }
}

TEMPLATE_LIST_TEST_CASE("GELU and its input-side derivative match the scalar reference", "[kernels]", Archs) {
    for (std::size_t n : {1, 3, 5, 16, 17, 33, 1000}) {
        CAPTURE(n, TestType::name());
        const auto x = test::random_vector(n, 7 + n, 6.0);
        const auto dy = test::random_vector(n, 8 + n);
        std::vector<float> y(n), y_ref(n), dx(n), dx_ref(n);
        k::activation_forward<k::gelu_op, TestType>(x.data(), n, y.data());
        k::reference::activation_forward<k::gelu_op>(x.data(), n, y_ref.data());
        test::require_close(y, y_ref, 2e-6, 1e-6, "gelu");
        k::activation_backward_from_input<k::gelu_op, TestType>(x.data(), dy.data(), n, dx.data());
        k::reference::activation_backward_from_input<k::gelu_op>(x.data(), dy.data(), n, dx_ref.data());
        test::require_close(dx, dx_ref, 2e-6, 1e-6, "gelu backward");
    }
    // Far out, GELU is x and 0: no NaN from erf or exp.
    const std::vector<float> x{-1e30f, -100.0f, -10.0f, 0.0f, 10.0f, 100.0f, 1e30f, -0.0f,
                               -1e30f, -100.0f, -10.0f, 0.0f, 10.0f, 100.0f, 1e30f, -0.0f, 3.0f};
    std::vector<float> y(x.size()), dx(x.size());
    const std::vector<float> ones(x.size(), 1.0f);
    k::activation_forward<k::gelu_op, TestType>(x.data(), x.size(), y.data());
    k::activation_backward_from_input<k::gelu_op, TestType>(x.data(), ones.data(), x.size(), dx.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
        CAPTURE(x[i]);
        if (std::abs(x[i]) >= 10.0f) CHECK(y[i] == Approx(x[i] > 0 ? x[i] : 0.0f).margin(1e-4));
        CHECK(std::isfinite(y[i]));
        CHECK(std::isfinite(dx[i]));
    }
}

TEMPLATE_LIST_TEST_CASE("softmax rows and their backward pass match the scalar reference", "[kernels]", Archs) {
    for (std::size_t cols : {1, 2, 7, 16, 17, 37}) {
        const std::size_t rows = 3;
        CAPTURE(cols, TestType::name());
        auto x = test::random_vector(rows * cols, 3 + cols, 8.0);
        x[0] = 1e4f;  // a large logit: the max is subtracted before exp
        const auto dy = test::random_vector(rows * cols, 4 + cols);
        std::vector<float> y(x.size()), y_ref(x.size()), dx(x.size()), dx_ref(x.size());
        k::softmax_rows<TestType>(x.data(), rows, cols, y.data());
        k::reference::softmax_rows(x.data(), rows, cols, y_ref.data());
        test::require_close(y, y_ref, 2e-6, 1e-7, "softmax");
        for (std::size_t r = 0; r < rows; ++r) {
            double sum = 0;
            for (std::size_t c = 0; c < cols; ++c) sum += y[r * cols + c];
            CHECK(sum == Approx(1.0).epsilon(1e-6));
        }
        k::softmax_backward_rows<TestType>(y_ref.data(), dy.data(), rows, cols, dx.data());
        k::reference::softmax_backward_rows(y_ref.data(), dy.data(), rows, cols, dx_ref.data());
        test::require_close(dx, dx_ref, 1e-5, 1e-7, "softmax backward");
    }
}

TEMPLATE_LIST_TEST_CASE("activations saturate cleanly at extreme inputs", "[kernels]", Archs) {
    const std::vector<float> x{-1e30f, -100.0f, -20.0f, 0.0f, 20.0f, 100.0f, 1e30f, -0.0f,
                               -1e30f, -100.0f, -20.0f, 0.0f, 20.0f, 100.0f, 1e30f, -0.0f, 3.0f};
    std::vector<float> y(x.size());
    k::activation_forward<k::sigmoid_op, TestType>(x.data(), x.size(), y.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
        REQUIRE(std::isfinite(y[i]));
        REQUIRE(y[i] >= 0.0f);
        REQUIRE(y[i] <= 1.0f);
    }
    k::activation_forward<k::tanh_op, TestType>(x.data(), x.size(), y.data());
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(std::abs(y[i]) <= 1.0f);
}

TEMPLATE_LIST_TEST_CASE("Adam, AdamW and SGD updates match the scalar reference", "[kernels][optim]", Archs) {
    for (std::size_t n : {1, 3, 5, 17, 33, 1000}) {
        CAPTURE(n);
        const auto g = test::random_vector(n, 11);
        for (float wd : {0.0f, 0.01f}) {
            for (bool decoupled : {false, true}) {  // Adam's L2 decay, AdamW's decoupled decay
                auto p = test::random_vector(n, 12), m = test::random_vector(n, 13, 0.1), v = test::random_vector(n, 14, 0.1);
                for (auto& e : v) e = std::abs(e);
                auto p_ref = p, m_ref = m, v_ref = v;
                const k::AdamStep s{1e-3f, 0.9f, 0.999f, 1e-8f, wd, 0.271f, 0.0447f, decoupled};
                k::adam_update<TestType>(p.data(), g.data(), m.data(), v.data(), n, s);
                k::reference::adam_update(p_ref.data(), g.data(), m_ref.data(), v_ref.data(), n, s);
                test::require_close(p, p_ref, 1e-6, 1e-7, "adam params");
                test::require_close(m, m_ref, 1e-6, 1e-7, "adam m");
                test::require_close(v, v_ref, 1e-6, 1e-7, "adam v");
            }
            for (bool nesterov : {false, true}) {
                auto q = test::random_vector(n, 15), buf = test::random_vector(n, 16);
                auto q_ref = q, buf_ref = buf;
                const k::SgdStep t{0.01f, 0.9f, wd, nesterov};
                k::sgd_update<TestType>(q.data(), g.data(), buf.data(), n, t);
                k::reference::sgd_update(q_ref.data(), g.data(), buf_ref.data(), n, t);
                test::require_close(q, q_ref, 1e-6, 1e-7, "sgd params");
                test::require_close(buf, buf_ref, 1e-6, 1e-7, "sgd momentum");
            }
        }
    }
}
