// Models in RTNeural's JSON format (tests/data/rtneural/, written by tools/make_rtneural_fixtures.py
// with the outputs RTNeural computes for them: PyTorch's, checked against an emulation of
// RTNeural's loader and layers) converted at test time by tools/rtneural_to_safetensors.py into
// CTNN_RTNEURAL_DIR (tests/rtneural.cmake), loaded into the type the tool prints, and run one
// step at a time by ctnn::Stream as RTNeural runs them (or frame by frame, for --flat), to 1e-5.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

// Each model as the tool prints it; its spelling is kept to compare with the printed declaration.
#define RTNEURAL_MODEL(Name, ...) \
    using Name = __VA_ARGS__;     \
    [[maybe_unused]] constexpr std::string_view Name##_declared = #__VA_ARGS__

// dense 1-8-8-1 with tanh: as a sequence model (a Linear on each step is a 1x1 Conv1D) ...
RTNEURAL_MODEL(DenseTanh, ctnn::Seq<ctnn::Input<1, 64>, ctnn::Conv1D<1, 8, 1>, ctnn::Tanh, ctnn::Conv1D<8, 8, 1>,
                                    ctnn::Tanh, ctnn::Conv1D<8, 1, 1>>);
// ... and with --flat.
RTNEURAL_MODEL(DenseTanhFlat,
               ctnn::Seq<ctnn::Linear<1, 8>, ctnn::Tanh, ctnn::Linear<8, 8>, ctnn::Tanh, ctnn::Linear<8, 1>>);
RTNEURAL_MODEL(ConvStack, ctnn::Seq<ctnn::Input<1, 64>, ctnn::Conv1D<1, 6, 3>, ctnn::Tanh,
                                    ctnn::Conv1D<6, 6, 3, ctnn::Dilation<2>, ctnn::Groups<2>>, ctnn::Tanh,
                                    ctnn::Conv1D<6, 4, 2, ctnn::Dilation<4>>, ctnn::Tanh, ctnn::Conv1D<4, 1, 1>>);
// Converted with --length 2048.
RTNEURAL_MODEL(Gru, ctnn::Seq<ctnn::Input<1, 2048>, ctnn::GRU<1, 8>, ctnn::Conv1D<8, 1, 1>>);
RTNEURAL_MODEL(Lstm, ctnn::Seq<ctnn::Input<2, 64>, ctnn::LSTM<2, 6>, ctnn::Conv1D<6, 1, 1>>);
RTNEURAL_MODEL(Prelu, ctnn::Seq<ctnn::Input<3, 64>, ctnn::Conv1D<3, 4, 1>, ctnn::PReLU<4>, ctnn::Conv1D<4, 4, 1>,
                                ctnn::PReLU<1>, ctnn::Conv1D<4, 2, 1>>);
RTNEURAL_MODEL(BatchNorm, ctnn::Seq<ctnn::Input<2, 64>, ctnn::Conv1D<2, 4, 1>, ctnn::BatchNorm1d<4>, ctnn::ReLU,
                                    ctnn::Conv1D<4, 3, 1>, ctnn::BatchNorm1d<3>, ctnn::Conv1D<3, 1, 1>>);
RTNEURAL_MODEL(Activations,
               ctnn::Seq<ctnn::Input<3, 64>, ctnn::Conv1D<3, 5, 1>, ctnn::Tanh, ctnn::Conv1D<5, 5, 1>, ctnn::ReLU,
                         ctnn::Conv1D<5, 5, 1>, ctnn::Sigmoid, ctnn::Conv1D<5, 5, 1>, ctnn::ELU, ctnn::Conv1D<5, 5, 1>,
                         ctnn::ReLU, ctnn::Conv1D<5, 4, 1>, ctnn::ELU, ctnn::Conv1D<4, 3, 1>, ctnn::Tanh, ctnn::Sigmoid>);
RTNEURAL_MODEL(SoftmaxFlat, ctnn::Seq<ctnn::Linear<4, 6>, ctnn::ELU, ctnn::Linear<6, 3>, ctnn::Softmax>);
RTNEURAL_MODEL(Mixed, ctnn::Seq<ctnn::Input<1, 64>, ctnn::Conv1D<1, 4, 1>, ctnn::Tanh,
                                ctnn::Conv1D<4, 6, 3, ctnn::Dilation<2>>, ctnn::ReLU, ctnn::BatchNorm1d<6>,
                                ctnn::PReLU<6>, ctnn::GRU<6, 8>, ctnn::LSTM<8, 5>, ctnn::Conv1D<5, 4, 2>, ctnn::Sigmoid,
                                ctnn::Conv1D<4, 2, 1>, ctnn::ELU, ctnn::Conv1D<2, 1, 1>>);

/// Inputs and RTNeural's outputs, one time step (frame) per row.
struct Steps {
    std::size_t steps = 0, in = 0, out = 0;
    std::vector<float> inputs, outputs;
};

/// data/rtneural/<stem>.txt: "inputs STEPS C" and "outputs STEPS OUT" sections; # starts a comment line.
Steps read_steps(const std::string& stem) {
    std::ifstream f(fs::path(CTNN_TEST_DATA_DIR) / "rtneural" / (stem + ".txt"));
    REQUIRE(f.good());
    Steps s;
    std::string word;
    while (f >> word) {
        if (word[0] == '#') {
            std::getline(f, word);
            continue;
        }
        REQUIRE((word == "inputs" || word == "outputs"));
        std::size_t rows, cols;
        f >> rows >> cols;
        auto& v = word == "inputs" ? s.inputs : s.outputs;
        (word == "inputs" ? s.in : s.out) = cols;
        s.steps = rows;
        v.resize(rows * cols);
        for (auto& x : v) f >> x;
        REQUIRE(f.good());
    }
    REQUIRE(s.inputs.size() == s.steps * s.in);
    REQUIRE(s.outputs.size() == s.steps * s.out);
    return s;
}

/// The converted file <name>.safetensors, loaded (strictly: its "ctnn.signature" must name Net).
template <class Net>
std::unique_ptr<Net> load(const std::string& name) {
    auto net = std::make_unique<Net>();
    ctnn::io::load_safetensors(*net, fs::path(CTNN_RTNEURAL_DIR) / (name + ".safetensors"));
    return net;
}

/// Every step's outputs, one step call per row, as RTNeural's model.forward.
template <class Net>
std::vector<float> streamed(const Net& net, const Steps& s, ctnn::Stream<Net>& stream) {
    constexpr std::size_t in = ctnn::Stream<Net>::in_channels, out = ctnn::Stream<Net>::out_channels;
    REQUIRE(s.in == in);
    REQUIRE(s.out == out);
    std::vector<float> ys(s.steps * out);
    for (std::size_t t = 0; t < s.steps; ++t)
        stream.step(net, std::span<const float, in>(s.inputs.data() + t * in, in),
                    std::span<float, out>(ys.data() + t * out, out));
    return ys;
}

/// ... of a fresh stream.
template <class Net>
std::vector<float> streamed(const Net& net, const Steps& s) {
    ctnn::Stream<Net> stream;
    return streamed(net, s, stream);
}

/// Converted `name` (from data/rtneural/`stem`.json), streamed, gives RTNeural's outputs.
template <class Net>
std::unique_ptr<Net> check_stream(const std::string& name, const std::string& stem) {
    auto net = load<Net>(name);
    const Steps s = read_steps(stem);
    test::require_close(streamed(*net, s), s.outputs, 1e-5, 1e-5, (name + ": streamed").c_str());
    return net;
}

/// Converted with --flat: forward on each frame, and on all frames as one batch.
template <class Net>
void check_flat(const std::string& name, const std::string& stem) {
    const auto net = load<Net>(name);
    const Steps s = read_steps(stem);
    REQUIRE(s.in == Net::in_size);
    REQUIRE(s.out == Net::out_size);
    std::vector<float> ys(s.steps * Net::out_size);
    for (std::size_t t = 0; t < s.steps; ++t) {
        std::array<float, Net::in_size> x;
        std::array<float, Net::out_size> y;
        std::copy_n(s.inputs.begin() + std::ptrdiff_t(t * Net::in_size), Net::in_size, x.begin());
        net->forward(x, y);
        std::copy(y.begin(), y.end(), ys.begin() + std::ptrdiff_t(t * Net::out_size));
    }
    test::require_close(ys, s.outputs, 1e-5, 1e-5, (name + ": frame by frame").c_str());
    ctnn::InferenceScratch<Net> scratch(s.steps);
    net->forward(s.inputs, ys, scratch);
    test::require_close(ys, s.outputs, 1e-5, 1e-5, (name + ": one batch").c_str());
}

std::string without_spaces(std::string_view text) {
    std::string s;
    for (char c : text)
        if (c != ' ' && c != '\n' && c != '\t') s += c;
    return s;
}

/// The type in the "using Net = ...;" line the tool printed for `name` (kept in <name>.txt).
std::string printed_type(const std::string& name) {
    std::ifstream f(fs::path(CTNN_RTNEURAL_DIR) / (name + ".txt"));
    REQUIRE(f.good());
    constexpr std::string_view lead = "using Net = ";
    std::string line, found;
    int count = 0;
    while (std::getline(f, line))
        if (line.compare(0, lead.size(), lead) == 0) {
            ++count;
            found = line.substr(lead.size());
        }
    REQUIRE(count == 1);
    REQUIRE(!found.empty());
    REQUIRE(found.back() == ';');
    found.pop_back();
    return without_spaces(found);
}

}  // namespace

TEST_CASE("dense layers with tanh: streamed as a sequence model, and flat", "[rtneural]") {
    check_stream<DenseTanh>("dense_tanh", "dense_tanh");
    check_flat<DenseTanhFlat>("dense_tanh_flat", "dense_tanh");
}

TEST_CASE("a dilated, grouped conv1d stack streams causally, its taps in Keras's order", "[rtneural]") {
    check_stream<ConvStack>("conv_stack", "conv_stack");
}

TEST_CASE("a GRU: Keras's gates z, r, h and two biases become PyTorch's r, z, n", "[rtneural]") {
    const auto net = check_stream<Gru>("gru", "gru");
    // The stream keeps the GRU's hidden state; reset() zeroes it, as RTNeural's model.reset().
    const Steps s = read_steps("gru");
    ctnn::Stream<Gru> stream;
    const auto first = streamed(*net, s, stream);
    REQUIRE(streamed(*net, s, stream) != first);
    stream.reset();
    REQUIRE(streamed(*net, s, stream) == first);
}

TEST_CASE("an LSTM on two channels: gates i, f, c, o, its one bias as bias_ih", "[rtneural]") {
    check_stream<Lstm>("lstm", "lstm");
}

TEST_CASE("PReLU with one slope per channel and with one shared slope", "[rtneural]") {
    check_stream<Prelu>("prelu", "prelu");
}

TEST_CASE("batchnorm with Keras's epsilon 1e-3, affine and not", "[rtneural]") {
    const auto net = check_stream<BatchNorm>("batchnorm", "batchnorm");
    // ctnn's epsilon is 1e-5: the file stores variance + 1e-3 - 1e-5 as running_var. Had it stored the
    // variance alone, the outputs would be off by far more than the tolerance (the variances are small).
    auto plain = std::make_unique<BatchNorm>(*net);
    for (float& v : plain->layer<1>().running_var) v -= 1e-3f - 1e-5f;
    for (float& v : plain->layer<4>().running_var) v -= 1e-3f - 1e-5f;
    const Steps s = read_steps("batchnorm");
    const auto off = streamed(*plain, s);
    double worst = 0;
    for (std::size_t i = 0; i < off.size(); ++i) worst = std::max(worst, std::abs(double(off[i]) - s.outputs[i]));
    REQUIRE(worst > 1e-2);
}

TEST_CASE("tanh, relu, sigmoid and elu, as activation layers and as the activation of dense layers", "[rtneural]") {
    check_stream<Activations>("activations", "activations");
}

TEST_CASE("softmax over each frame, in a flat model", "[rtneural]") {
    check_flat<SoftmaxFlat>("softmax_flat", "softmax");
}

TEST_CASE("a model of every streaming layer: dense, conv1d, batchnorm, prelu, GRU, LSTM", "[rtneural]") {
    check_stream<Mixed>("mixed", "mixed");
}

TEST_CASE("the tool prints the declarations the tests declare", "[rtneural]") {
    const std::pair<std::string, std::string_view> models[] = {
        {"dense_tanh", DenseTanh_declared},   {"dense_tanh_flat", DenseTanhFlat_declared},
        {"conv_stack", ConvStack_declared},   {"gru", Gru_declared},
        {"lstm", Lstm_declared},              {"prelu", Prelu_declared},
        {"batchnorm", BatchNorm_declared},    {"activations", Activations_declared},
        {"softmax_flat", SoftmaxFlat_declared}, {"mixed", Mixed_declared},
    };
    for (const auto& [name, declared] : models) {
        INFO(name);
        CHECK(printed_type(name) == without_spaces(declared));
    }
}
