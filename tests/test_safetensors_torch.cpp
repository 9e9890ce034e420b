// Networks exported from PyTorch by tools/torch_to_safetensors.py (fixtures in data/, made by
// tools/make_safetensors_fixtures.sh) give PyTorch's outputs within 1e-5; hidden cases write ctnn
// models for the PyTorch side of the round trip.
#include "safetensors_support.hpp"

// ---------------------------------------------------------------- PyTorch

TEST_CASE("a network exported from PyTorch gives PyTorch's outputs within 1e-5", "[safetensors][torch]") {
    check_torch_fixture<Small>("torch_export_small");
    check_torch_fixture<Activations>("torch_export_activations");
    // nn.Linear(bias=False), nn.GELU and nn.Softmax: the file has no bias for layer 0.
    check_torch_fixture<Seq<Linear<9, 12, ctnn::NoBias>, ctnn::GELU, Linear<12, 7>, ctnn::Tanh, Linear<7, 5>,
                            ctnn::Softmax>>("torch_export_gelu_softmax");
    check_torch_fixture<Seq<Linear<5, 6>, ctnn::PReLU<1>, Linear<6, 4>, ctnn::PReLU<4>, Linear<4, 3>>>("torch_export_prelu");
    // Convolutional: the input shape in the signature, samples of C*H*W values; nn.Conv2d(padding=1),
    // nn.Conv2d(stride=2, bias=False), nn.MaxPool2d, nn.AdaptiveAvgPool2d(1), nn.Flatten.
    check_torch_fixture<CnnExport>("torch_export_cnn");
    // Every option, in the order the tool writes them: a rectangular kernel with padding='same',
    // (height, width) stride, padding and dilation, groups, AvgPool2d with padding, MaxPool2d with
    // a rectangular window, per-channel PReLU on images, Softmax after Flatten.
    check_torch_fixture<CnnOptionsExport>("torch_export_cnn_options");
}

TEST_CASE("a PyTorch network with BatchNorm and Dropout gives its eval-mode outputs within 1e-5",
          "[safetensors][torch][batchnorm][dropout]") {
    // nn.BatchNorm2d and nn.BatchNorm1d with running statistics from three training-mode batches
    // (not the defaults 0, 1, 0), random weights and biases; nn.Dropout2d(0.25) and nn.Dropout(0.5)
    // at positions 3 and 9, which ctnn keeps. Inference uses the running statistics.
    const auto net = check_torch_fixture<BatchNormExport>("torch_export_batchnorm");
    // num_batches_tracked, an I64 scalar in the file, read as the count PyTorch had.
    REQUIRE(net->layer<1>().num_batches_tracked == 3.0f);
    REQUIRE(net->layer<7>().num_batches_tracked == 3.0f);
    for (float v : net->layer<1>().running_var) REQUIRE(v != 1.0f);
    for (float m : net->layer<7>().running_mean) REQUIRE(m != 0.0f);

    // The file's tensors are the state_dict's, by PyTorch's positions.
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_batchnorm.safetensors");
    const std::uint64_t n = io::detail::load_le64(b.data());
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", std::string_view(reinterpret_cast<const char*>(b.data() + 8), n),
                                     b.size() - 8 - n, h)
                .ok());
    std::vector<std::string> names;
    for (const auto& t : h.tensors) names.push_back(t.name);
    REQUIRE(names == std::vector<std::string>{"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                              "1.num_batches_tracked", "6.weight", "7.weight", "7.bias",
                                              "7.running_mean", "7.running_var", "7.num_batches_tracked",
                                              "10.weight", "10.bias"});
    REQUIRE(h.tensors[5].dtype == io::detail::Dtype::I64);
    REQUIRE(h.tensors[5].shape.empty());
    REQUIRE(h.metadata.at("ctnn.signature") == io::signature<BatchNormExport>());

    // A model with the dropouts left out (as the tool once dropped them) is another model: the
    // Linear at PyTorch's position 6 is at 5 there.
    using WithoutDropout =
        Seq<ctnn::Input<2, 6, 6>, ctnn::Conv2D<2, 4, 3, ctnn::NoBias>, ctnn::BatchNorm2d<4>, ctnn::ReLU,
            ctnn::MaxPool2D<2>, ctnn::Flatten, Linear<16, 8, ctnn::NoBias>, ctnn::BatchNorm1d<8>, ctnn::Tanh,
            Linear<8, 3>>;
    expect_failure<WithoutDropout>(b, Kind::missing_tensor, {"tensor \"5.weight\" is missing", "at position 5"});
}

TEST_CASE("a PyTorch network of Conv1d layers on sequences gives PyTorch's outputs within 1e-5",
          "[safetensors][torch][conv1d]") {
    // nn.Conv1d with padding=1, padding='same' with an even kernel (4: one step before, two after)
    // and with dilation (kernel 2, dilation 3), stride with dilation and groups, bias=False, and a
    // stride with padding; nn.PReLU(4) and nn.BatchNorm1d(4) on C x T, with running statistics
    // from three training-mode batches. Samples are rows of C*T values.
    const auto net = check_torch_fixture<Conv1dExport>("torch_export_conv1d");
    REQUIRE(net->layer<5>().num_batches_tracked == 3.0f);
    for (float v : net->layer<5>().running_var) REQUIRE(v != 1.0f);
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_conv1d.safetensors");
    const std::uint64_t n = io::detail::load_le64(b.data());
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", std::string_view(reinterpret_cast<const char*>(b.data() + 8), n),
                                     b.size() - 8 - n, h)
                .ok());
    REQUIRE(h.metadata.at("ctnn.signature") == io::signature<Conv1dExport>());
    REQUIRE(h.tensors[0].name == "0.weight");
    REQUIRE(h.tensors[0].shape == std::vector<std::size_t>{4, 2, 3});  // [Out, In, K]
    // The same layers with the options in another order are another signature.
    using Reordered =
        Seq<ctnn::Input<2, 16>, ctnn::Conv1D<2, 4, 3, ctnn::Padding<1>>, ctnn::Tanh,
            ctnn::Conv1D<4, 4, 4, ctnn::SamePadding>, ctnn::PReLU<4>,
            ctnn::Conv1D<4, 4, 3, ctnn::Dilation<2>, ctnn::Stride<2>, ctnn::Groups<2>, ctnn::NoBias>,
            ctnn::BatchNorm1d<4>, ctnn::ReLU,
            ctnn::Conv1D<4, 6, 2, ctnn::SamePadding, ctnn::Dilation<3>, ctnn::Groups<2>>, ctnn::ELU, ctnn::Conv1D<6, 3, 3, ctnn::Stride<2>, ctnn::Padding<2>>, ctnn::Flatten, Linear<12, 5>>;
    expect_failure<Reordered>(b, Kind::wrong_model, {"ctnn::Stride<2>,ctnn::Dilation<2>"});
}

TEST_CASE("a PyTorch network with MaxPool1d and AvgPool1d on sequences gives PyTorch's outputs within 1e-5",
          "[safetensors][torch][pool1d]") {
    // nn.MaxPool1d(3, stride=2, padding=1) on the inputs (the padding never wins, negative values
    // included), nn.AvgPool1d(3, stride=2, padding=1) counting the padding as zeros, floor mode
    // (20 -> 10 -> 5 -> 4 -> 2 steps), nn.MaxPool1d(2, stride=1), nn.AvgPool1d(2, stride=2).
    check_torch_fixture<Pool1dExport>("torch_export_pool1d");
    static_assert(Pool1dExport::in_size == 60 && Pool1dExport::out_size == 3);
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_pool1d.safetensors");
    const std::uint64_t n = io::detail::load_le64(b.data());
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", std::string_view(reinterpret_cast<const char*>(b.data() + 8), n),
                                     b.size() - 8 - n, h)
                .ok());
    REQUIRE(h.metadata.at("ctnn.signature") == io::signature<Pool1dExport>());
    std::vector<std::string> names;
    for (const auto& t : h.tensors) names.push_back(t.name);
    REQUIRE(names == std::vector<std::string>{"1.weight", "1.bias", "8.weight", "8.bias"});
    // The tool writes a stride only when it is not the kernel: AvgPool1D<2, Stride<2>> is the same
    // layer, spelled otherwise, so another signature.
    using StrideSpelled =
        Seq<ctnn::Input<3, 20>, ctnn::MaxPool1D<3, ctnn::Stride<2>, ctnn::Padding<1>>,
            ctnn::Conv1D<3, 4, 3, ctnn::Padding<1>>, ctnn::ReLU, ctnn::AvgPool1D<3, ctnn::Stride<2>, ctnn::Padding<1>>,
            ctnn::Tanh, ctnn::MaxPool1D<2, ctnn::Stride<1>>, ctnn::AvgPool1D<2, ctnn::Stride<2>>, ctnn::Flatten,
            Linear<8, 3>>;
    expect_failure<StrideSpelled>(b, Kind::wrong_model, {"AvgPool1D<2>,Flatten", "AvgPool1D<2,ctnn::Stride<2>>"});
}

TEST_CASE("a PyTorch network of GRU and LSTM layers gives PyTorch's outputs within 1e-5",
          "[safetensors][torch][recurrent]") {
    // A state_dict of nn.GRU(1, 8), nn.LSTM(8, 6) and nn.Conv1d(6, 1, 1), run by PyTorch on each
    // sample transposed to (T, C) (batch_first), output[0] transposed back: 16 steps of 1 channel
    // in, 16 steps of 1 out.
    check_torch_fixture<RecurrentExport>("torch_export_recurrent");
    static_assert(RecurrentExport::in_size == 16 && RecurrentExport::out_size == 16);
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_recurrent.safetensors");
    const std::uint64_t n = io::detail::load_le64(b.data());
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", std::string_view(reinterpret_cast<const char*>(b.data() + 8), n),
                                     b.size() - 8 - n, h)
                .ok());
    REQUIRE(h.metadata.at("ctnn.signature") == io::signature<RecurrentExport>());
    std::vector<std::string> names;
    for (const auto& t : h.tensors) names.push_back(t.name);
    REQUIRE(names == std::vector<std::string>{"0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0",
                                              "1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0",
                                              "2.weight", "2.bias"});
    REQUIRE(h.tensors[0].shape == std::vector<std::size_t>{24, 1});  // [3 Hidden, In]: gates r, z, n
    REQUIRE(h.tensors[5].shape == std::vector<std::size_t>{24, 6});  // [4 Hidden, Hidden]: gates i, f, g, o
    REQUIRE(h.tensors[8].shape == std::vector<std::size_t>{1, 6, 1});
    // An LSTM of the GRU's sizes has four gates, not three.
    using Swapped = Seq<ctnn::Input<1, 16>, ctnn::LSTM<1, 8>, ctnn::GRU<8, 6>, ctnn::Conv1D<6, 1, 1>>;
    expect_failure<Swapped>(b, Kind::wrong_shape,
                            {"tensor \"0.weight_ih_l0\": expected shape [32, 1]", "found [24, 1]"});
}

TEST_CASE("PyTorch exports in F16, BF16 and F64 load converted, with PyTorch's outputs", "[safetensors][torch]") {
    check_torch_fixture<Small>("torch_export_small_f16");
    check_torch_fixture<Small>("torch_export_small_bf16");
    check_torch_fixture<Small>("torch_export_small_f64");
}

TEST_CASE("a PyTorch export does not load into another model", "[safetensors][torch]") {
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_small.safetensors");
    using SigmoidSmall = Seq<Linear<13, 17>, ctnn::Sigmoid, Linear<17, 5>>;
    expect_failure<SigmoidSmall>(b, Kind::wrong_model, {"saved from ctnn::Seq<Linear<13,17>,Tanh,Linear<17,5>>"});
    using Wider = Seq<Linear<13, 18>, ctnn::Tanh, Linear<18, 5>>;
    expect_failure<Wider>(b, Kind::wrong_shape, {"tensor \"0.weight\": expected shape [18, 13]", "found [17, 13]"});
}

namespace {
/// Writes `stem`.safetensors (a seeded Net, then `steps` training steps with SGD on random data,
/// which move BatchNorm's running statistics and count) and `stem`.txt (sample inputs and its
/// inference outputs) in `out`.
template <class Net>
void export_for_torch(const fs::path& out, const std::string& stem, std::uint64_t seed, int steps = 0) {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(seed);
    ctnn::init::pytorch_default(*net, rng);
    if constexpr (!Net::trainable) REQUIRE(steps == 0);  // recurrent layers: exported as initialised
    else if (steps > 0) {
        constexpr std::size_t batch = 16;
        ctnn::train::StepBuffers<Net> buffers(batch);
        ctnn::optim::Sgd<Net> sgd({.lr = 0.05f});
        std::vector<int> labels(batch);
        for (int s = 0; s < steps; ++s) {
            auto x = test::random_vector(batch * Net::in_size, seed + 100 + std::uint64_t(s), 2.0);
            for (auto& v : x) v = v * 1.5f + 0.5f;  // a mean and a spread that BatchNorm tracks
            for (std::size_t r = 0; r < batch; ++r) labels[r] = int((r + std::size_t(s)) % Net::out_size);
            ctnn::train::step(*net, sgd, ctnn::loss::SoftmaxCrossEntropy{}, x, labels, buffers);
        }
    }
    io::save_safetensors(*net, out / (stem + ".safetensors"));
    constexpr std::size_t rows = 6;
    const auto x = test::random_vector(rows * Net::in_size, seed + 1, 2.0);
    std::vector<float> y(rows * Net::out_size);
    ctnn::InferenceScratch<Net> scratch(rows);
    net->forward(x, y, scratch);
    std::ofstream f(out / (stem + ".txt"));
    f.precision(9);
    f << "# ctnn::Seq<" << io::signature<Net>() << ">, written by test_safetensors [.torch-export]\n";
    const auto section = [&](const char* name, const std::vector<float>& v, std::size_t cols) {
        f << name << " " << rows << " " << cols << "\n";
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) f << v[r * cols + c] << (c + 1 == cols ? "\n" : " ");
    };
    section("inputs", x, Net::in_size);
    section("outputs", y, Net::out_size);
    REQUIRE(f.good());
}

// Every spatial option, written in another order than tools/torch_to_safetensors.py's.
using CnnCtnnExport =
    Seq<ctnn::Input<3, 12, 11>, ctnn::Conv2D<3, 6, 3, ctnn::Padding<1>, ctnn::Stride<2>>, ctnn::ReLU,
        ctnn::Conv2D<6, 6, 3, ctnn::Groups<3>, ctnn::SamePadding, ctnn::NoBias, ctnn::Dilation<2>>,
        ctnn::LeakyReLUSlope<1, 5>, ctnn::MaxPool2D<3, ctnn::Stride<2>, ctnn::Padding<1>>, ctnn::PReLU<6>,
        ctnn::AvgPool2D<2, ctnn::Stride<1>>, ctnn::Conv2D<6, 4, 1, ctnn::KernelWidth<2>>, ctnn::GlobalAvgPool2D,
        ctnn::Flatten, Linear<4, 3>, ctnn::Softmax>;
// BatchNorm2d, BatchNorm1d on feature vectors and on sequences {C, L}, the dropouts with
// denominators other than 100 (ctnn.torch spells p as Python does: nn.Dropout2d(p=0.3333333333333333)).
using BatchNormCtnnExport =
    Seq<ctnn::Input<2, 8, 8>, ctnn::Conv2D<2, 4, 3>, ctnn::BatchNorm2d<4>, ctnn::ReLU, ctnn::Dropout2d<1, 3>,
        ctnn::MaxPool2D<2>, ctnn::Flatten, Linear<36, 6>, ctnn::BatchNorm1d<6>, ctnn::ELU, ctnn::Dropout<125, 1000>,
        Linear<6, 3>>;
using SequenceBatchNormCtnnExport =
    Seq<ctnn::Input<3, 5>, ctnn::BatchNorm1d<3>, ctnn::Dropout<20>, ctnn::Flatten, Linear<15, 4>>;
// 1-D convolutions and pools, options in another order than the tool's, BatchNorm1d and PReLU on
// sequences; T: 20 -> 9 -> 5 (MaxPool1D, padded) -> 5 -> 5 (AvgPool1D, stride 1) -> 2.
using Conv1dCtnnExport =
    Seq<ctnn::Input<3, 20>, ctnn::Conv1D<3, 6, 5, ctnn::Dilation<2>, ctnn::Padding<3>, ctnn::Stride<2>>,
        ctnn::BatchNorm1d<6>, ctnn::PReLU<6>, ctnn::MaxPool1D<2, ctnn::Padding<1>>,
        ctnn::Conv1D<6, 6, 4, ctnn::NoBias, ctnn::Groups<3>, ctnn::SamePadding>, ctnn::LeakyReLUSlope<1, 5>,
        ctnn::AvgPool1D<3, ctnn::Padding<1>, ctnn::Stride<1>>, ctnn::Conv1D<6, 4, 2, ctnn::Groups<2>, ctnn::Stride<3>>,
        ctnn::Tanh, ctnn::Flatten, Linear<8, 3>>;
// Recurrent layers (not trainable: exported as initialised): a GRU, a 1x1 convolution and an
// activation on each step, an LSTM, then Flatten and Linear over all steps.
using RecurrentCtnnExport = Seq<ctnn::Input<2, 12>, ctnn::GRU<2, 8>, ctnn::Conv1D<8, 4, 1>, ctnn::Tanh,
                                ctnn::LSTM<4, 5>, ctnn::Flatten, Linear<60, 3>>;
}  // namespace

// Not run by ctest (hidden): writes ctnn models, a multilayer perceptron, a convolutional
// network, two with BatchNorm and Dropout and a 1-D one with convolutions and pools trained a few
// steps (running statistics and num_batches_tracked not the defaults), a recurrent one (GRU,
// LSTM) and, in the test cases at the end of this file, a TCN of Residual blocks and a network of
// transposed convolutions, with sample inputs and their inference outputs for the PyTorch side of
// the round trip (eval mode):
//   CTNN_EXPORT_DIR=out build/.../test_safetensors "[.torch-export]"
//   for m in ctnn_export ctnn_export_cnn ctnn_export_batchnorm ctnn_export_batchnorm_sequence ctnn_export_conv1d
//            ctnn_export_recurrent ctnn_export_residual ctnn_export_conv_transpose1d; do
//     /usr/bin/python3 tools/safetensors_to_torch.py out/$m.safetensors --inputs out/$m.txt; done
TEST_CASE("export a ctnn model for tools/safetensors_to_torch.py", "[.torch-export]") {
    const char* dir = std::getenv("CTNN_EXPORT_DIR");
    const fs::path out = dir ? dir : ".";
    export_for_torch<Activations>(out, "ctnn_export", 11);
    export_for_torch<CnnCtnnExport>(out, "ctnn_export_cnn", 13);
    export_for_torch<BatchNormCtnnExport>(out, "ctnn_export_batchnorm", 17, 5);
    export_for_torch<SequenceBatchNormCtnnExport>(out, "ctnn_export_batchnorm_sequence", 19, 4);
    export_for_torch<Conv1dCtnnExport>(out, "ctnn_export_conv1d", 23, 4);
    export_for_torch<RecurrentCtnnExport>(out, "ctnn_export_recurrent", 29);
}

// ---------------------------------------------------------------- Residual blocks

namespace {
// A TCN of Residual blocks exported from PyTorch (tools/ctnn_modules.py's Residual, a state_dict
// "0.main.0.weight", "0.shortcut.0.bias", ...), as tools/torch_to_safetensors.py prints it.
using ResidualExport =
    Seq<ctnn::Input<2, 16>,
        ctnn::Residual<ctnn::Conv1D<2, 4, 3, ctnn::Dilation<2>>, ctnn::PReLU<4>, ctnn::BatchNorm1d<4>,
                       ctnn::Shortcut<ctnn::Conv1D<2, 4, 1>>>,
        ctnn::ReLU, ctnn::Residual<ctnn::Conv1D<4, 4, 3, ctnn::SamePadding>, ctnn::Tanh>, ctnn::Conv1D<4, 1, 1>>;
}  // namespace

TEST_CASE("a PyTorch TCN of Residual blocks gives PyTorch's outputs within 1e-5", "[safetensors][torch][residual]") {
    // A dilated nn.Conv1d without padding (16 -> 12 steps), PReLU(4) and BatchNorm1d(4) with
    // running statistics from three training-mode batches on the main path, a 1x1 nn.Conv1d on the
    // shortcut whose last 12 steps are added; an identity block around a Conv1d with
    // padding='same'; a 1x1 Conv1d: 12 outputs, one a step.
    const auto net = check_torch_fixture<ResidualExport>("torch_export_residual");
    static_assert(ResidualExport::in_size == 32 && ResidualExport::out_size == 12);
    for (const auto& t : ResidualExport::tensors) {
        if (t.name() == "0.main.2.num_batches_tracked") REQUIRE(net->parameters()[t.offset] == 3.0f);
        if (t.name() == "0.main.2.running_var")
            for (std::size_t c = 0; c < 4; ++c) REQUIRE(net->parameters()[t.offset + c] != 1.0f);
    }
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_residual.safetensors");
    const std::uint64_t n = io::detail::load_le64(b.data());
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", std::string_view(reinterpret_cast<const char*>(b.data() + 8), n),
                                     b.size() - 8 - n, h)
                .ok());
    REQUIRE(h.metadata.at("ctnn.signature") == io::signature<ResidualExport>());
    std::vector<std::string> names;
    for (const auto& t : h.tensors) names.push_back(t.name);
    REQUIRE(names == std::vector<std::string>{"0.main.0.weight", "0.main.0.bias", "0.main.1.weight", "0.main.2.weight",
                                              "0.main.2.bias", "0.main.2.running_mean", "0.main.2.running_var",
                                              "0.main.2.num_batches_tracked", "0.shortcut.0.weight",
                                              "0.shortcut.0.bias", "2.main.0.weight", "2.main.0.bias", "3.weight",
                                              "3.bias"});
    REQUIRE(h.tensors[8].shape == std::vector<std::size_t>{4, 2, 1});  // the shortcut's 1x1 convolution
    // A 1x1 convolution on the second block's shortcut too: its tensors are not in the file.
    using WithShortcut =
        Seq<ctnn::Input<2, 16>,
            ctnn::Residual<ctnn::Conv1D<2, 4, 3, ctnn::Dilation<2>>, ctnn::PReLU<4>, ctnn::BatchNorm1d<4>,
                           ctnn::Shortcut<ctnn::Conv1D<2, 4, 1>>>,
            ctnn::ReLU,
            ctnn::Residual<ctnn::Conv1D<4, 4, 3, ctnn::SamePadding>, ctnn::Tanh, ctnn::Shortcut<ctnn::Conv1D<4, 4, 1>>>,
            ctnn::Conv1D<4, 1, 1>>;
    expect_failure<WithShortcut>(b, Kind::missing_tensor, {"tensor \"2.shortcut.0.weight\" is missing"});
    // Another activation inside a block is another model: the signature spells the inner layers.
    using InnerReLU =
        Seq<ctnn::Input<2, 16>,
            ctnn::Residual<ctnn::Conv1D<2, 4, 3, ctnn::Dilation<2>>, ctnn::PReLU<4>, ctnn::BatchNorm1d<4>,
                           ctnn::Shortcut<ctnn::Conv1D<2, 4, 1>>>,
            ctnn::ReLU, ctnn::Residual<ctnn::Conv1D<4, 4, 3, ctnn::SamePadding>, ctnn::ReLU>, ctnn::Conv1D<4, 1, 1>>;
    expect_failure<InnerReLU>(b, Kind::wrong_model, {"Residual<ctnn::Conv1D<4,4,3,ctnn::SamePadding>,ctnn::Tanh>"});
}

namespace {
// The TCN of the Residual blocks' tests (test_residual.cpp), trained a few steps in ctnn so that
// the BatchNorm's running statistics inside the first block are not the defaults.
using ResidualCtnnExport =
    Seq<ctnn::Input<2, 16>,
        ctnn::Residual<ctnn::Conv1D<2, 4, 3, ctnn::Dilation<2>>, ctnn::PReLU<4>, ctnn::BatchNorm1d<4>,
                       ctnn::Shortcut<ctnn::Conv1D<2, 4, 1>>>,
        ctnn::ReLU, ctnn::Residual<ctnn::Conv1D<4, 4, 3, ctnn::Dilation<4>>, ctnn::Tanh>, ctnn::Flatten,
        Linear<16, 3>>;
}  // namespace

// Not run by ctest (hidden), with "export a ctnn model for tools/safetensors_to_torch.py" above
// (the same tag and loop): a TCN of Residual blocks, which the script rebuilds in PyTorch from its
// "ctnn.torch", Residual(nn.Sequential(...), nn.Sequential(...)) of tools/ctnn_modules.py.
TEST_CASE("export a ctnn TCN of Residual blocks for tools/safetensors_to_torch.py", "[.torch-export]") {
    const char* dir = std::getenv("CTNN_EXPORT_DIR");
    const fs::path out = dir ? dir : ".";
    export_for_torch<ResidualCtnnExport>(out, "ctnn_export_residual", 31, 4);
}

// ---------------------------------------------------------------- transposed convolutions

namespace {
// Transposed convolutions on sequences exported from PyTorch (nn.ConvTranspose1d), as
// tools/torch_to_safetensors.py prints them: options in the order Stride, Padding, OutputPadding,
// Dilation, Groups, NoBias; weights [In, Out / groups, K].
using ConvTranspose1dExport =
    Seq<ctnn::Input<2, 12>, ctnn::Conv1D<2, 4, 3, ctnn::Stride<2>>, ctnn::ReLU,
        ctnn::ConvTranspose1D<4, 4, 4, ctnn::Stride<2>, ctnn::Padding<1>, ctnn::OutputPadding<1>, ctnn::Groups<2>>,
        ctnn::Tanh, ctnn::ConvTranspose1D<4, 2, 3, ctnn::Dilation<2>, ctnn::NoBias>, ctnn::Flatten, Linear<30, 3>>;
}  // namespace

TEST_CASE("a PyTorch network of ConvTranspose1d layers gives PyTorch's outputs within 1e-5",
          "[safetensors][torch][conv_transpose]") {
    // A strided nn.Conv1d (12 -> 5 steps), nn.ConvTranspose1d(4, 4, 4, stride=2, padding=1,
    // output_padding=1, groups=2) (5 -> 11) and nn.ConvTranspose1d(4, 2, 3, dilation=2, bias=False)
    // (11 -> 15), then Flatten and Linear(30, 3).
    check_torch_fixture<ConvTranspose1dExport>("torch_export_conv_transpose1d");
    static_assert(ConvTranspose1dExport::in_size == 24 && ConvTranspose1dExport::out_size == 3);
    const Bytes b = read_all(fs::path(CTNN_TEST_DATA_DIR) / "torch_export_conv_transpose1d.safetensors");
    const std::uint64_t n = io::detail::load_le64(b.data());
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", std::string_view(reinterpret_cast<const char*>(b.data() + 8), n),
                                     b.size() - 8 - n, h)
                .ok());
    REQUIRE(h.metadata.at("ctnn.signature") == io::signature<ConvTranspose1dExport>());
    std::vector<std::string> names;
    for (const auto& t : h.tensors) names.push_back(t.name);
    REQUIRE(names ==
            std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "6.weight", "6.bias"});
    REQUIRE(h.tensors[0].shape == std::vector<std::size_t>{4, 2, 3});  // Conv1d: [Out, In, K]
    REQUIRE(h.tensors[2].shape == std::vector<std::size_t>{4, 2, 4});  // [In, Out / groups, K]
    REQUIRE(h.tensors[4].shape == std::vector<std::size_t>{4, 2, 3});
    // Without the groups, the weight is [4, 4, 4].
    using Ungrouped =
        Seq<ctnn::Input<2, 12>, ctnn::Conv1D<2, 4, 3, ctnn::Stride<2>>, ctnn::ReLU,
            ctnn::ConvTranspose1D<4, 4, 4, ctnn::Stride<2>, ctnn::Padding<1>, ctnn::OutputPadding<1>>, ctnn::Tanh,
            ctnn::ConvTranspose1D<4, 2, 3, ctnn::Dilation<2>, ctnn::NoBias>, ctnn::Flatten, Linear<30, 3>>;
    expect_failure<Ungrouped>(b, Kind::wrong_shape,
                              {"tensor \"2.weight\": expected shape [4, 4, 4]", "found [4, 2, 4]"});
    // The same layers with the options in another order are another signature.
    using Reordered =
        Seq<ctnn::Input<2, 12>, ctnn::Conv1D<2, 4, 3, ctnn::Stride<2>>, ctnn::ReLU,
            ctnn::ConvTranspose1D<4, 4, 4, ctnn::OutputPadding<1>, ctnn::Stride<2>, ctnn::Padding<1>, ctnn::Groups<2>>,
            ctnn::Tanh, ctnn::ConvTranspose1D<4, 2, 3, ctnn::Dilation<2>, ctnn::NoBias>, ctnn::Flatten, Linear<30, 3>>;
    expect_failure<Reordered>(b, Kind::wrong_model, {"ctnn::Stride<2>,ctnn::Padding<1>,ctnn::OutputPadding<1>"});
}

namespace {
// Transposed convolutions in ctnn, options in another order than the tool's: an output padding
// above the padding (stride 3: 8 -> 24 steps), BatchNorm1d and PReLU after it, one in a Residual
// after a strided Conv1D (24 -> 11 -> 23 steps, the identity shortcut's last 23 added), one with
// dilation and output padding (23 -> 49); trained a few steps.
using ConvTranspose1dCtnnExport =
    Seq<ctnn::Input<3, 8>, ctnn::ConvTranspose1D<3, 4, 3, ctnn::OutputPadding<2>, ctnn::Padding<1>, ctnn::Stride<3>>,
        ctnn::BatchNorm1d<4>, ctnn::PReLU<4>,
        ctnn::Residual<ctnn::Conv1D<4, 4, 3, ctnn::Stride<2>>,
                       ctnn::ConvTranspose1D<4, 4, 3, ctnn::Groups<2>, ctnn::NoBias, ctnn::Stride<2>>>,
        ctnn::ConvTranspose1D<4, 2, 2, ctnn::Dilation<3>, ctnn::OutputPadding<1>, ctnn::Stride<2>>, ctnn::Tanh,
        ctnn::Flatten, Linear<98, 3>>;
}  // namespace

// Not run by ctest (hidden), with "export a ctnn model for tools/safetensors_to_torch.py" above
// (the same tag and loop): transposed convolutions, which the script rebuilds in PyTorch from its
// "ctnn.torch", nn.ConvTranspose1d(..., output_padding=...) and a Residual of tools/ctnn_modules.py.
TEST_CASE("export a ctnn network of ConvTranspose1D layers for tools/safetensors_to_torch.py", "[.torch-export]") {
    const char* dir = std::getenv("CTNN_EXPORT_DIR");
    const fs::path out = dir ? dir : ".";
    static_assert(ConvTranspose1dCtnnExport::in_size == 24 && ConvTranspose1dCtnnExport::out_size == 3);
    export_for_torch<ConvTranspose1dCtnnExport>(out, "ctnn_export_conv_transpose1d", 37, 4);
}
