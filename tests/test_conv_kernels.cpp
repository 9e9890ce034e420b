// The convolution, pooling and batch-norm kernels against scalar references (kernels/reference.hpp;
// batch norm's from its definition, in double, below),
// for every instruction set this build can run: geometries whose rows are and are not multiples
// of the vector width, every padding, stride, dilation and group option, both convolution paths
// (im2col and direct), ties in max pooling. (Apart from test_kernels so that the two, the
// slowest test programs to compile, build in parallel.)
#include <ctnn/kernels/batch_norm.hpp>
#include <ctnn/kernels/conv2d.hpp>
#include <ctnn/kernels/pool2d.hpp>
#include <ctnn/kernels/reference.hpp>
#include <tuple>
#include "archs.hpp"
#include "support.hpp"

namespace k = ctnn::kernels;

namespace {
constexpr k::ConvGeometry conv(std::size_t c, std::size_t h, std::size_t w, std::size_t out, std::size_t kh,
                               std::size_t kw, std::size_t stride_h = 1, std::size_t stride_w = 1,
                               std::size_t pad_before = 0, std::size_t pad_after = 0, std::size_t dilation = 1,
                               std::size_t groups = 1) {
    k::ConvGeometry g;
    g.in_channels = c, g.height = h, g.width = w, g.out_channels = out, g.kernel_h = kh, g.kernel_w = kw;
    g.stride_h = stride_h, g.stride_w = stride_w, g.dilation_h = g.dilation_w = dilation, g.groups = groups;
    g.pad_top = g.pad_left = pad_before, g.pad_bottom = g.pad_right = pad_after;
    return g;
}

template <k::ConvGeometry G, class Arch, class Op>
void check_conv(std::size_t batch, bool bias) {
    CAPTURE(G.in_channels, G.height, G.width, G.out_channels, G.kernel_h, G.kernel_w, G.stride_h, G.stride_w,
            G.pad_top, G.pad_bottom, G.dilation_h, G.groups, batch, bias, Arch::name());
    constexpr std::size_t in = G.in_channels * G.height * G.width, out = G.out_channels * G.positions();
    constexpr std::size_t weights = G.out_channels * G.taps_per_group();
    const auto x = test::random_vector(batch * in, 1 + in);
    const auto w = test::random_vector(weights, 2 + weights, 0.5);
    const auto b = test::random_vector(G.out_channels, 3);
    const auto dy = test::random_vector(batch * out, 4);
    std::vector<float> scratch(G.scratch_floats(), -7.0f);  // garbage: the kernels must not read it first
    std::vector<float> y(batch * out), y_ref(batch * out);
    k::conv2d_forward<G, Op, Arch>(x.data(), batch, w.data(), bias ? b.data() : nullptr, y.data(), scratch.data());
    k::reference::conv2d_forward<Op>(G, x.data(), batch, w.data(), bias ? b.data() : nullptr, y_ref.data());
    test::require_close(y, y_ref, 1e-5, 1e-5, "forward");

    auto dw = test::random_vector(weights, 5), db = test::random_vector(G.out_channels, 6);
    auto dw_ref = dw, db_ref = db;
    std::vector<float> dx(batch * in, -1.0f), dx_ref(batch * in);
    k::conv2d_backward<G, Arch>(x.data(), dy.data(), batch, w.data(), dx.data(), dw.data(), bias ? db.data() : nullptr,
                                scratch.data());
    k::reference::conv2d_backward(G, x.data(), dy.data(), batch, w.data(), dx_ref.data(), dw_ref.data(),
                                  bias ? db_ref.data() : nullptr);
    test::require_close(dx, dx_ref, 1e-5, 1e-5, "input gradient");
    test::require_close(dw, dw_ref, 1e-5, 1e-5, "weight gradient");
    test::require_close(db, db_ref, 1e-5, 1e-5, "bias gradient");
}

template <class Arch, k::ConvGeometry... G>
void check_convs() {
    for (std::size_t batch : {1, 3})
        for (bool bias : {true, false}) (check_conv<G, Arch, k::identity_op>(batch, bias), ...);
}

template <k::PoolGeometry G, class Arch, bool Coarse = false>
void check_pool() {
    CAPTURE(Coarse, G.channels, G.height, G.width, G.kernel_h, G.kernel_w, G.stride_h, G.stride_w, G.pad_h, G.pad_w,
            Arch::name());
    constexpr std::size_t batch = 2;
    auto x = test::random_vector(batch * G.in_size(), 7 + G.in_size());
    x[3] = x[4] = x[5];  // ties: the gradient goes to the first maximum
    if constexpr (Coarse)  // values of three kinds: ties in every position of most windows
        for (auto& v : x) v = v < -0.3f ? -1.0f : v < 0.3f ? 0.0f : 1.0f;
    const auto dy = test::random_vector(batch * G.out_size(), 8);
    std::vector<float> y(batch * G.out_size()), y_ref(y.size()), dx(batch * G.in_size(), -1.0f), dx_ref(dx.size());
    k::max_pool2d_forward<G, Arch>(x.data(), batch, y.data());
    k::max_pool2d_backward<G, Arch>(x.data(), y.data(), dy.data(), batch, dx.data());
    k::reference::max_pool2d(G, x.data(), dy.data(), batch, y_ref.data(), dx_ref.data());
    test::require_close(y, y_ref, 0, 0, "max forward");
    test::require_close(dx, dx_ref, 0, 0, "max backward");
    std::fill(dx.begin(), dx.end(), -1.0f);
    k::avg_pool2d_forward<G, Arch>(x.data(), batch, y.data());
    k::avg_pool2d_backward<G>(dy.data(), batch, dx.data());
    k::reference::avg_pool2d(G, x.data(), dy.data(), batch, y_ref.data(), dx_ref.data());
    test::require_close(y, y_ref, 1e-6, 1e-6, "average forward");
    test::require_close(dx, dx_ref, 1e-6, 1e-6, "average backward");
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("convolution kernels match the scalar reference for every geometry", "[kernels][conv]", Archs) {
    check_convs<TestType, conv(1, 28, 28, 6, 5, 5), conv(6, 12, 12, 16, 5, 5),  // LeNet's two layers
                conv(3, 7, 9, 5, 3, 3, 2, 2, 1, 1),                               // stride 2, padding 1
                conv(3, 11, 12, 6, 3, 5, 2, 1, 1, 1),                             // rectangular, strides 2 x 1
                conv(4, 6, 5, 6, 2, 4, 1, 1, 1, 2, 1, 2),                         // uneven "same" padding, 2 groups
                conv(2, 9, 9, 3, 3, 3, 1, 1, 2, 2, 2),                            // dilation 2
                conv(4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 4),                         // depthwise
                conv(8, 4, 5, 3, 1, 1), conv(5, 17, 19, 7, 1, 1, 2, 2),           // 1x1, and 1x1 with stride
                conv(2, 10, 27, 5, 3, 4), conv(3, 9, 20, 11, 2, 5),              // the direct path: rows of 24, 16
                // Conv1D's: one row; im2col, the direct path (24 outputs), stride 2 with dilation and groups
                conv(3, 1, 40, 5, 1, 3), conv(4, 1, 26, 6, 1, 3), conv(4, 1, 31, 4, 1, 3, 1, 2, 0, 0, 2, 2)>();
    check_conv<conv(2, 6, 6, 4, 3, 3), TestType, k::relu_op>(2, true);             // the fused epilogue
    check_conv<conv(2, 6, 6, 4, 3, 3), TestType, k::tanh_op>(2, true);
}

TEMPLATE_LIST_TEST_CASE("pooling kernels match the scalar reference, ties and padding included", "[kernels][conv]",
                        Archs) {
    check_pool<k::PoolGeometry{6, 24, 24, 2, 2, 2, 2, 0, 0}, TestType>();   // LeNet
    check_pool<k::PoolGeometry{6, 24, 24, 2, 2, 2, 2, 0, 0}, TestType, true>();
    check_pool<k::PoolGeometry{3, 9, 45, 2, 2, 2, 2, 0, 0}, TestType, true>();  // odd sizes: 22 windows a row
    check_pool<k::PoolGeometry{2, 4, 6, 2, 2, 2, 2, 0, 0}, TestType, true>();   // rows narrower than a vector
    check_pool<k::PoolGeometry{3, 7, 9, 3, 3, 2, 2, 1, 1}, TestType>();     // padded, overlapping
    check_pool<k::PoolGeometry{2, 5, 37, 2, 3, 1, 1, 0, 1}, TestType>();    // stride 1, a row past a vector
    check_pool<k::PoolGeometry{4, 33, 33, 3, 3, 3, 3, 1, 1}, TestType>();   // stride 3
    check_pool<k::PoolGeometry{1, 2, 2, 2, 2, 2, 2, 0, 0}, TestType>();     // one window
    check_pool<k::PoolGeometry{3, 1, 37, 1, 3, 1, 2, 0, 1}, TestType>();    // a sequence (MaxPool1D): one row
    check_pool<k::PoolGeometry{2, 1, 40, 1, 2, 1, 2, 0, 0}, TestType>();
}

namespace {
/// Batch norm's training forward and backward from the definitions, in double.
template <std::size_t Inner, class Arch>
void check_batch_norm(std::size_t batch, std::size_t channels) {
    CAPTURE(Inner, batch, channels, Arch::name());
    const std::size_t n = batch * channels * Inner, count = batch * Inner;
    auto x = test::random_vector(n, 5 + n, 2.0);
    for (auto& v : x) v += 3.0f;  // a mean far from 0
    const auto dy = test::random_vector(n, 6 + n);
    const auto weight = test::random_vector(channels, 7), bias = test::random_vector(channels, 8);
    std::vector<float> mean(channels), var(channels), invstd(channels), y(n), dx(n), dw(channels), db(channels);
    std::vector<float> sums(3 * channels, -7.0f);
    k::batch_norm_train_forward<Inner, Arch>(x.data(), batch, channels, weight.data(), bias.data(), 1e-5f, mean.data(),
                                             var.data(), invstd.data(), y.data());
    k::batch_norm_backward<Inner, Arch>(x.data(), dy.data(), batch, channels, mean.data(), invstd.data(), weight.data(),
                                        dw.data(), db.data(), dx.data(), sums.data());
    std::vector<float> y_ref(n), dx_ref(n), dw_ref(channels), db_ref(channels);
    auto at = [&](std::size_t r, std::size_t c, std::size_t i) { return (r * channels + c) * Inner + i; };
    for (std::size_t c = 0; c < channels; ++c) {
        double m = 0, v = 0, g = 0, gx = 0;
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < Inner; ++i) m += x[at(r, c, i)];
        m /= double(count);
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < Inner; ++i) v += (x[at(r, c, i)] - m) * (x[at(r, c, i)] - m);
        v /= double(count);
        const double is = 1.0 / std::sqrt(v + 1e-5);
        REQUIRE(mean[c] == Approx(m).epsilon(1e-6));
        REQUIRE(var[c] == Approx(v).epsilon(1e-5));
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < Inner; ++i) {
                const double xhat = (x[at(r, c, i)] - m) * is;
                y_ref[at(r, c, i)] = float(xhat * weight[c] + bias[c]);
                g += dy[at(r, c, i)];
                gx += dy[at(r, c, i)] * xhat;
            }
        dw_ref[c] = float(gx), db_ref[c] = float(g);
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < Inner; ++i) {
                const double xhat = (x[at(r, c, i)] - m) * is;
                dx_ref[at(r, c, i)] = float(weight[c] * is * (dy[at(r, c, i)] - g / double(count) - xhat * gx / double(count)));
            }
    }
    test::require_close(y, y_ref, 1e-5, 1e-5, "y");
    test::require_close(dw, dw_ref, 1e-4, 1e-5, "dweight");
    test::require_close(db, db_ref, 1e-4, 1e-5, "dbias");
    test::require_close(dx, dx_ref, 1e-4, 1e-5, "dx");
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("batch-norm kernels match their definition: vectors, short and long rows", "[kernels][batchnorm]",
                        Archs) {
    check_batch_norm<1, TestType>(7, 21);
    check_batch_norm<5, TestType>(3, 4);
    check_batch_norm<37, TestType>(4, 3);
    check_batch_norm<576, TestType>(5, 2);
}
