// Stream<Net>: a sequence model one time step at a time. Checked against the whole-sequence
// forward of the same Seq (after the stream has seen as many steps as the model reaches back),
// step against process bit for bit, reset, independent voices over one const model, a ModelView,
// and no allocation.
#include <ctnn/ctnn.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>
#include "allocation_counter.hpp"
#include "support.hpp"

using namespace ctnn;
using test::allocations;

namespace {
// A dilated stack (receptive field 1 + 2 + 4 + 8 = 15 steps) with every per-step layer.
using Net = Seq<Input<2, 40>, Conv1D<2, 8, 3>, Tanh, Conv1D<8, 8, 3, Dilation<2>>, ReLU,
                Conv1D<8, 8, 3, Dilation<4>, Groups<2>, NoBias>, BatchNorm1d<8>, PReLU<8>, Dropout<10>, GELU,
                Conv1D<8, 3, 2, Dilation<4>>>;
constexpr std::size_t T = 40, reach = 2 + 4 + 8 + 4;
static_assert(Net::output_shape == Shape{3, T - reach});
static_assert(Stream<Net>::in_channels == 2 && Stream<Net>::out_channels == 3);
static_assert(Stream<Net>::state_size == 2 * 2 + 4 * 8 + 8 * 8 + 4 * 8, "each Conv1D keeps (K - 1) D input steps");
static_assert(noexcept(std::declval<Stream<Net>&>().step(std::declval<const Net&>(),
                                                         std::declval<std::span<const float, 2>>(),
                                                         std::declval<std::span<float, 3>>())));

std::unique_ptr<Net> make_net() {
    auto net = std::make_unique<Net>();
    Rng rng(3);
    init::pytorch_default(*net, rng);
    // Running statistics other than the initial ones.
    auto bn = net->layer<5>();
    for (std::size_t c = 0; c < 8; ++c) bn.running_mean[c] = 0.1f * float(c), bn.running_var[c] = 0.5f + 0.2f * float(c);
    return net;
}

/// Time-major steps (t * C + c) from a channel-major sequence (c * T + t).
std::vector<float> time_major(const std::vector<float>& seq, std::size_t channels, std::size_t steps) {
    std::vector<float> out(seq.size());
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t t = 0; t < steps; ++t) out[t * channels + c] = seq[c * steps + t];
    return out;
}
}  // namespace

TEST_CASE("a stream computes what the whole-sequence forward computes, one step at a time", "[stream]") {
    const auto net = make_net();
    const auto seq = test::random_vector(Net::in_size, 1, 2.0);
    std::vector<float> whole(Net::out_size);
    InferenceScratch<Net> scratch(1);
    net->forward(seq, whole, scratch);

    const auto steps = time_major(seq, 2, T);
    Stream<Net> voice;
    std::vector<float> streamed(3 * T);
    for (std::size_t t = 0; t < T; ++t)
        voice.step(*net, std::span<const float, 2>(steps.data() + 2 * t, 2), std::span<float, 3>(streamed.data() + 3 * t, 3));
    // Output j of the sequence is the step that has just seen input j + reach.
    std::vector<float> expected, got;
    for (std::size_t j = 0; j < T - reach; ++j)
        for (std::size_t o = 0; o < 3; ++o) {
            expected.push_back(whole[o * (T - reach) + j]);
            got.push_back(streamed[(j + reach) * 3 + o]);
        }
    test::require_close(got, expected, 1e-5, 1e-6, "streamed vs whole sequence");
}

TEST_CASE("process is step after step bit for bit, reset starts again, voices are independent", "[stream]") {
    const auto net = make_net();
    const auto xs = test::random_vector(2 * 100, 2);
    Stream<Net> a, b;
    std::vector<float> by_steps(3 * 100), at_once(3 * 100), again(3 * 100);
    for (std::size_t t = 0; t < 100; ++t)
        a.step(*net, std::span<const float, 2>(xs.data() + 2 * t, 2), std::span<float, 3>(by_steps.data() + 3 * t, 3));
    b.process(*net, xs, at_once);
    REQUIRE(by_steps == at_once);

    // b continues from where it is; after reset it repeats a's first steps exactly.
    b.process(*net, xs, again);
    REQUIRE_FALSE(again == at_once);
    b.reset();
    b.process(*net, xs, again);
    REQUIRE(again == at_once);

    // Through a view of the parameters (a compiled-in model), the same.
    const ModelView<Net> view(*net);
    Stream<Net> c;
    c.process(view, xs, again);
    REQUIRE(again == at_once);
}

TEST_CASE("a step allocates nothing", "[stream][realtime]") {
    const auto net = make_net();
    const auto xs = test::random_vector(2 * 64, 3);
    Stream<Net> voice;
    std::vector<float> ys(3 * 64);
    const long before = allocations.load();
    for (int i = 0; i < 10; ++i) voice.process(*net, xs, ys);
    std::array<float, 3> y{};
    voice.step(*net, std::span<const float, 2>(xs.data(), 2), y);
    REQUIRE(allocations.load() - before == 0);
}

TEST_CASE("recurrent layers stream: GRU and LSTM state in the stream, no allocation, reset", "[stream][recurrent]") {
    using Rnn = Seq<Input<1, 32>, GRU<1, 8>, LSTM<8, 16>, Conv1D<16, 1, 1>>;
    static_assert(Stream<Rnn>::state_size == 8 + 2 * 16, "the GRU's h, the LSTM's h and c");
    auto net = std::make_unique<Rnn>();
    Rng rng(4);
    init::pytorch_default(*net, rng);
    const auto xs = test::random_vector(256, 5);
    Stream<Rnn> a, b;
    std::vector<float> by_steps(256), at_once(256);
    const long before = allocations.load();
    for (std::size_t t = 0; t < 256; ++t)
        a.step(*net, std::span<const float, 1>(&xs[t], 1), std::span<float, 1>(&by_steps[t], 1));
    b.process(*net, xs, at_once);
    REQUIRE(allocations.load() - before == 0);
    REQUIRE(by_steps == at_once);
    b.reset();
    b.process(*net, xs, at_once);
    REQUIRE(by_steps == at_once);

    // The first 32 steps are the whole-sequence forward of those 32 samples (the recurrent
    // layers run the same step; the 1x1 convolution sums in another order).
    std::vector<float> whole(Rnn::out_size);
    InferenceScratch<Rnn> scratch(1);
    net->forward(std::span<const float>(xs.data(), 32), whole, scratch);
    test::require_close(std::vector<float>(by_steps.begin(), by_steps.begin() + 32), whole, 1e-5, 1e-6, "streamed");
}

namespace {
/// The whole-sequence forward of T steps against Stream::process on the same input: the largest
/// difference, and how many outputs differ at all.
template <class Rnn>
std::pair<double, std::size_t> sequence_against_stream(std::uint64_t seed) {
    constexpr std::size_t T = Rnn::input_shape.dims[1], H = Rnn::output_shape.dims[0];
    auto net = std::make_unique<Rnn>();
    Rng rng(seed);
    init::pytorch_default(*net, rng);
    const auto xs = test::random_vector(T, seed + 1);
    Stream<Rnn> voice;
    std::vector<float> by_steps(T * H), whole(Rnn::out_size);
    voice.process(*net, xs, by_steps);  // time-major
    InferenceScratch<Rnn> scratch(1);
    net->forward(xs, whole, scratch);  // channel-major
    double largest = 0;
    std::size_t differing = 0;
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t c = 0; c < H; ++c) {
            largest = std::max(largest, double(std::abs(whole[c * T + t] - by_steps[t * H + c])));
            differing += whole[c * T + t] != by_steps[t * H + c];
        }
    return {largest, differing};
}
}  // namespace

TEST_CASE("a whole sequence longer than the states recorded at once is the stream's, bit for bit",
          "[stream][recurrent]") {
    // The sequence forward records about 256 steps of states at a time and transposes each block
    // into the output: 600 steps are two whole blocks and a part of one, for both layers. Sizes
    // whose steps never run on a packed W_hh (a GRU's 3 vectors of 8 rows, an LSTM of 6 units):
    // the stream's step exactly.
    STATIC_REQUIRE(!kernels::packable_hidden<3, 8>);
    STATIC_REQUIRE(!kernels::packable_hidden<4, 6>);
    const auto [largest, differing] = sequence_against_stream<Seq<Input<1, 600>, GRU<1, 8>, LSTM<8, 6>>>(6);
    CAPTURE(largest);
    REQUIRE(differing == 0);
}

TEST_CASE("a long sequence on packed hidden weights agrees with the stream to float rounding", "[stream][recurrent]") {
    // A GRU of 16 and an LSTM of 32 units: on AVX2 their 600 steps run on W_hh packed by
    // columns, sums in another order (elsewhere the stream's step, bit for bit).
    const auto [largest, differing] = sequence_against_stream<Seq<Input<1, 600>, GRU<1, 16>, LSTM<16, 32>>>(8);
    CAPTURE(largest, differing, kernels::arch_name());
    REQUIRE(largest < 1e-5);
    if constexpr (!kernels::packs_hidden<3, 16> && !kernels::packs_hidden<4, 32>) REQUIRE(differing == 0);
    else REQUIRE(differing > 0);  // the packed product ran
}

TEST_CASE("a StreamModel streams bit for bit what a long sequence's forward gives, allocating nothing",
          "[stream][recurrent]") {
    // A long sequence's forward packs W_hh where that is faster (AVX2); a StreamModel packs the
    // same layers the same way, so its stream is that forward, step for step.
    constexpr std::size_t T = 600;
    using Rnn = Seq<Input<1, T>, GRU<1, 16>, LSTM<16, 32>, Conv1D<32, 2, 1>>;
    STATIC_REQUIRE(StreamModel<Rnn>::packs == (kernels::packs_hidden<3, 16> || kernels::packs_hidden<4, 32>));
    auto net = std::make_unique<Rnn>();
    Rng rng(9);
    init::pytorch_default(*net, rng);
    const auto xs = test::random_vector(T, 10);
    const StreamModel<Rnn> prepared(*net);
    std::vector<float> whole(Rnn::out_size), by_steps(2 * T), at_once(2 * T), plain(2 * T);
    InferenceScratch<Rnn> scratch(1);
    net->forward(xs, whole, scratch);  // channel-major
    Stream<Rnn> a, b, c;
    const long before = allocations.load();
    for (std::size_t t = 0; t < T; ++t)
        a.step(prepared, std::span<const float, 1>(&xs[t], 1), std::span<float, 2>(&by_steps[2 * t], 2));
    b.process(prepared, xs, at_once);
    REQUIRE(allocations.load() - before == 0);
    REQUIRE(by_steps == at_once);
    c.process(*net, xs, plain);
    std::size_t differing = 0, differing_plain = 0;
    double largest_plain = 0;
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t o = 0; o < 2; ++o) {
            // The output layer sums over the 32 channels in another order than the stream's step:
            // equal to float rounding (the recurrent layers alone are compared bit for bit below).
            differing += std::abs(whole[o * T + t] - at_once[2 * t + o]) > 1e-6f;
            differing_plain += plain[2 * t + o] != at_once[2 * t + o];
            largest_plain = std::max(largest_plain, double(std::abs(plain[2 * t + o] - at_once[2 * t + o])));
        }
    CHECK(differing == 0);
    CHECK(largest_plain < 1e-5);
    if constexpr (StreamModel<Rnn>::packs) CHECK(differing_plain > 0);  // the packed step ran
    else CHECK(differing_plain == 0);

    // The recurrent layers alone: the stream through a StreamModel is the forward, bit for bit.
    using Layers = Seq<Input<1, T>, GRU<1, 16>, LSTM<16, 32>>;
    auto layers = std::make_unique<Layers>();
    std::copy_n(net->parameters(), Layers::parameter_block_size, layers->parameters());
    std::vector<float> states(Layers::out_size), streamed(32 * T);
    InferenceScratch<Layers> layer_scratch(1);
    layers->forward(xs, states, layer_scratch);
    Stream<Layers> voice;
    voice.process(StreamModel<Layers>(*layers), xs, streamed);
    std::size_t unequal = 0;
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t j = 0; j < 32; ++j) unequal += states[j * T + t] != streamed[t * 32 + j];
    REQUIRE(unequal == 0);
}

TEST_CASE("a StreamModel is a copy that update() refreshes, and without packed layers it is the model",
          "[stream]") {
    using Stack = Seq<Input<1, 64>, Conv1D<1, 4, 3>, Tanh, GRU<4, 8>, Conv1D<8, 1, 1>>;
    STATIC_REQUIRE(!StreamModel<Seq<Input<1, 64>, Conv1D<1, 4, 3>, Tanh, Conv1D<4, 1, 1>>>::packs);
    auto net = std::make_unique<Stack>();
    Rng rng(12);
    init::pytorch_default(*net, rng);
    const auto xs = test::random_vector(100, 13);
    StreamModel<Stack> prepared(*net);
    auto run = [&](const auto& model) {
        Stream<Stack> voice;
        std::vector<float> ys(100);
        voice.process(model, xs, ys);
        return ys;
    };
    REQUIRE(run(prepared) == run(*net));  // a GRU of 8 units is not packed: the same block
    const auto before = run(*net);
    for (std::size_t i = 0; i < Stack::parameter_block_size; ++i) net->parameters()[i] *= 0.5f;
    REQUIRE(run(prepared) == before);  // a copy
    prepared.update(ModelView<Stack>(*net));
    REQUIRE(run(prepared) == run(*net));
}
