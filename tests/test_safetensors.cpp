// safetensors: round trips, every way a file can be wrong (each message must name the file, the
// tensor and what the model expects, and leave the model unchanged), dtype conversion, and
// networks exported from PyTorch by tools/torch_to_safetensors.py (fixtures in data/, made by
// tools/make_safetensors_fixtures.sh) giving PyTorch's outputs within 1e-5.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/io/tensor_file.hpp>
#include <catch2/catch.hpp>
#include <unistd.h>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include "support.hpp"

namespace fs = std::filesystem;
namespace io = ctnn::io;
using test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using ctnn::Linear;
using ctnn::Seq;
using Kind = io::LoadErrorKind;
using namespace std::string_literals;

using Tiny = Seq<Linear<3, 2>, ctnn::ReLU, Linear<2, 1>>;
using Small = Seq<Linear<13, 17>, ctnn::Tanh, Linear<17, 5>>;
using Activations = Seq<Linear<6, 8>, ctnn::LeakyReLUSlope<1, 5>, Linear<8, 8>, ctnn::Sigmoid, Linear<8, 7>, ctnn::ReLU,
                        Linear<7, 3>, ctnn::LeakyReLU>;
// The convolutional networks of tools/make_safetensors_fixtures.sh, as tools/torch_to_safetensors.py prints them.
using CnnExport = Seq<ctnn::Input<1, 10, 10>, ctnn::Conv2D<1, 4, 3, ctnn::Padding<1>>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                      ctnn::Conv2D<4, 6, 3, ctnn::Stride<2>, ctnn::NoBias>, ctnn::Tanh, ctnn::GlobalAvgPool2D,
                      ctnn::Flatten, Linear<6, 3>>;
using CnnOptionsExport =
    Seq<ctnn::Input<2, 7, 9>, ctnn::Conv2D<2, 4, 3, ctnn::KernelWidth<2>, ctnn::SamePadding>, ctnn::ELU,
        ctnn::Conv2D<4, 4, 3, ctnn::Stride<2, 1>, ctnn::Padding<1, 0>, ctnn::Dilation<1, 2>, ctnn::Groups<2>>,
        ctnn::PReLU<4>, ctnn::AvgPool2D<3, ctnn::Stride<1>, ctnn::Padding<1>>,
        ctnn::MaxPool2D<2, ctnn::KernelWidth<3>, ctnn::Stride<1, 2>>, ctnn::Flatten, Linear<24, 5>, ctnn::Softmax>;
// Batch normalisation and dropout, keeping their positions: tensors "1.running_mean", "7.weight", ...
using BatchNormExport =
    Seq<ctnn::Input<2, 6, 6>, ctnn::Conv2D<2, 4, 3, ctnn::NoBias>, ctnn::BatchNorm2d<4>, ctnn::ReLU, ctnn::Dropout2d<25>,
        ctnn::MaxPool2D<2>, ctnn::Flatten, Linear<16, 8, ctnn::NoBias>, ctnn::BatchNorm1d<8>, ctnn::Tanh,
        ctnn::Dropout<50>, Linear<8, 3>>;
// 1-D convolutions on sequences {C, T}: tensors [Out, In / groups, K], BatchNorm1d and PReLU over channels.
using Conv1dExport =
    Seq<ctnn::Input<2, 16>, ctnn::Conv1D<2, 4, 3, ctnn::Padding<1>>, ctnn::Tanh,
        ctnn::Conv1D<4, 4, 4, ctnn::SamePadding>, ctnn::PReLU<4>,
        ctnn::Conv1D<4, 4, 3, ctnn::Stride<2>, ctnn::Dilation<2>, ctnn::Groups<2>, ctnn::NoBias>,
        ctnn::BatchNorm1d<4>, ctnn::ReLU, ctnn::Conv1D<4, 6, 2, ctnn::SamePadding, ctnn::Dilation<3>, ctnn::Groups<2>>,
        ctnn::ELU, ctnn::Conv1D<6, 3, 3, ctnn::Stride<2>, ctnn::Padding<2>>, ctnn::Flatten, Linear<12, 5>>;
// 1-D pooling on sequences {C, T}: no tensors, so the file holds "1.weight" and "8.weight" only.
using Pool1dExport =
    Seq<ctnn::Input<3, 20>, ctnn::MaxPool1D<3, ctnn::Stride<2>, ctnn::Padding<1>>, ctnn::Conv1D<3, 4, 3, ctnn::Padding<1>>,
        ctnn::ReLU, ctnn::AvgPool1D<3, ctnn::Stride<2>, ctnn::Padding<1>>, ctnn::Tanh, ctnn::MaxPool1D<2, ctnn::Stride<1>>,
        ctnn::AvgPool1D<2>, ctnn::Flatten, Linear<8, 3>>;
// Recurrent layers on sequences {C, T}: nn.GRU and nn.LSTM (batch_first, every step's hidden
// state), then a Linear on each step as a 1x1 convolution.
using RecurrentExport = Seq<ctnn::Input<1, 16>, ctnn::GRU<1, 8>, ctnn::LSTM<8, 6>, ctnn::Conv1D<6, 1, 1>>;

namespace {

using Bytes = std::vector<std::byte>;


fs::path write(const fs::path& p, const Bytes& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return p;
}

Bytes read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), {});
    Bytes b(c.size());
    std::memcpy(b.data(), c.data(), c.size());
    return b;
}

void append_le(Bytes& b, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(std::byte(v >> (8 * i)));
}

void append_f32(Bytes& b, float f) { append_le(b, std::bit_cast<std::uint32_t>(f), 4); }

/// A file: the 8-byte length (of `header`, unless given), the header, the data.
Bytes file_of(const std::string& header, const Bytes& data, std::uint64_t length = UINT64_MAX) {
    Bytes b;
    append_le(b, length == UINT64_MAX ? header.size() : length, 8);
    for (char c : header) b.push_back(std::byte(c));
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

struct Entry {
    std::string name, dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin, end;
};

std::string json_of(const std::vector<Entry>& entries, const std::string& extra = "") {
    std::string h = "{";
    for (const auto& e : entries) {
        if (h.size() > 1) h += ",";
        h += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[";
        for (std::size_t i = 0; i < e.shape.size(); ++i) h += (i ? "," : "") + std::to_string(e.shape[i]);
        h += "],\"data_offsets\":[" + std::to_string(e.begin) + "," + std::to_string(e.end) + "]}";
    }
    if (!extra.empty()) h += (h.size() > 1 ? "," : "") + extra;
    return h + "}";
}

/// Tiny's tensors as F32, in order, packed: 0.weight [2,3], 0.bias [2], 2.weight [1,2], 2.bias [1].
std::vector<Entry> tiny_entries() {
    return {{"0.weight", "F32", {2, 3}, 0, 24},
            {"0.bias", "F32", {2}, 24, 32},
            {"2.weight", "F32", {1, 2}, 32, 40},
            {"2.bias", "F32", {1}, 40, 44}};
}

/// n floats 0.25, 0.5, 0.75, ...
Bytes f32_data(std::size_t n) {
    Bytes b;
    for (std::size_t i = 0; i < n; ++i) append_f32(b, 0.25f * float(i + 1));
    return b;
}

template <class Net>
std::vector<float> tensor_values(const Net& net) {
    std::vector<float> v;
    for (const auto& t : Net::tensors)
        v.insert(v.end(), net.parameters() + t.offset, net.parameters() + t.offset + t.info.size());
    return v;
}

/// Loads `bytes` through every entry point (file and memory, throwing and not) into a model
/// filled with a sentinel; each must fail with `kind`, a message that starts with
/// "ctnn: <source>: " and contains every fragment, and leave the model as it was.
template <class Net = Tiny>
std::string expect_failure(const Bytes& bytes, Kind kind, std::initializer_list<std::string> fragments) {
    TempDir dir;
    const fs::path file = write(dir / "case.safetensors", bytes);
    auto net = std::make_unique<Net>();
    for (std::size_t i = 0; i < Net::parameter_block_size; ++i) net->parameters()[i] = 7.0f;
    const auto check = [&](const std::string& message, const std::string& source) {
        CAPTURE(message);
        REQUIRE_THAT(message, StartsWith("ctnn: " + source + ": "));
        for (const auto& f : fragments) REQUIRE_THAT(message, Contains(f));
        REQUIRE(std::all_of(net->parameters(), net->parameters() + Net::parameter_block_size, [](float x) { return x == 7.0f; }));
    };

    const io::LoadResult r = io::try_load_safetensors(*net, file);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.kind == kind);
    check(r.message, file.string());
    try {
        io::load_safetensors(*net, file);
        FAIL("load_safetensors did not throw");
    } catch (const io::Error& e) {
        REQUIRE(std::string(e.what()) == r.message);
    }
    const io::LoadResult m = io::try_load_safetensors(*net, std::span<const std::byte>(bytes), "weights.bin");
    REQUIRE(m.kind == kind);
    check(m.message, "weights.bin");
    REQUIRE_THROWS_AS(io::load_safetensors(*net, std::span<const std::byte>(bytes)), io::Error);
    return r.message;
}

struct Samples {
    std::size_t rows = 0, in = 0, out = 0;
    std::vector<float> inputs, outputs;
};

/// The text files of tools/torch_to_safetensors.py --outputs.
Samples read_samples(const std::string& file) {
    std::ifstream f(std::string(CTNN_TEST_DATA_DIR) + "/" + file);
    REQUIRE(f.good());
    Samples s;
    std::string word;
    while (f >> word) {
        if (word[0] == '#') {
            std::getline(f, word);
            continue;
        }
        std::size_t rows, cols;
        f >> rows >> cols;
        auto& v = word == "inputs" ? s.inputs : s.outputs;
        (word == "inputs" ? s.in : s.out) = cols;
        s.rows = rows;
        v.resize(rows * cols);
        for (auto& x : v) f >> x;
        REQUIRE(f.good());
    }
    return s;
}

template <class Net>
std::unique_ptr<Net> check_torch_fixture(const std::string& stem) {
    auto net = std::make_unique<Net>();
    io::load_safetensors(*net, fs::path(CTNN_TEST_DATA_DIR) / (stem + ".safetensors"));
    const Samples s = read_samples(stem + ".txt");
    REQUIRE(s.in == Net::in_size);
    REQUIRE(s.out == Net::out_size);
    std::vector<float> y(s.rows * Net::out_size);
    for (std::size_t r = 0; r < s.rows; ++r) {
        std::array<float, Net::in_size> xi;
        std::array<float, Net::out_size> yi;
        std::copy_n(s.inputs.begin() + std::ptrdiff_t(r * Net::in_size), Net::in_size, xi.begin());
        net->forward(xi, yi);
        std::copy(yi.begin(), yi.end(), y.begin() + std::ptrdiff_t(r * Net::out_size));
    }
    test::require_close(y, s.outputs, 0, 1e-5, (stem + ": single-sample forward").c_str());
    ctnn::InferenceScratch<Net> scratch(s.rows);
    net->forward(s.inputs, y, scratch);
    test::require_close(y, s.outputs, 0, 1e-5, (stem + ": batch forward").c_str());
    return net;
}

}  // namespace

// ---------------------------------------------------------------- writing and round trips

TEST_CASE("a saved model loads back bit for bit, from a file and from memory", "[safetensors]") {
    TempDir dir;
    auto net = std::make_unique<Small>();
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(*net, rng);
    const fs::path file = dir / "small.safetensors";
    io::save_safetensors(*net, file, {{"trained_by", "test \"quoted\" \xc3\xa9"}});

    auto back = std::make_unique<Small>();
    io::load_safetensors(*back, file);
    REQUIRE(tensor_values(*back) == tensor_values(*net));

    const Bytes bytes = io::safetensors_bytes(*net, {{"trained_by", "test \"quoted\" \xc3\xa9"}});
    REQUIRE(read_all(file) == bytes);
    auto from_memory = std::make_unique<Small>();
    REQUIRE(io::try_load_safetensors(*from_memory, std::span<const std::byte>(bytes)).ok());
    REQUIRE(tensor_values(*from_memory) == tensor_values(*net));

    // Overwriting an existing file goes through a temporary that is renamed into place.
    io::save_safetensors(*net, file);
    REQUIRE(fs::exists(file));
    REQUIRE_FALSE(fs::exists(dir / "small.safetensors.partial"));
}

TEST_CASE("the file is PyTorch's layout: names, [Out, In] shapes, F32, metadata with the layer list", "[safetensors]") {
    auto net = std::make_unique<Tiny>();
    for (std::size_t i = 0; i < Tiny::parameter_block_size; ++i) net->parameters()[i] = float(i);
    const Bytes b = io::safetensors_bytes(*net, {{"epochs", "3"}});
    const std::uint64_t n = io::detail::load_le64(b.data());
    REQUIRE((8 + n) % 8 == 0);  // data aligned, like other writers
    const std::string_view header(reinterpret_cast<const char*>(b.data() + 8), n);
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", header, b.size() - 8 - n, h).ok());
    REQUIRE(h.tensors.size() == 4);
    REQUIRE(h.tensors[0].name == "0.weight");
    REQUIRE(h.tensors[0].shape == std::vector<std::uint64_t>{2, 3});
    REQUIRE(h.tensors[2].name == "2.weight");
    REQUIRE(h.tensors[3].name == "2.bias");
    REQUIRE(h.tensors[3].dtype == io::detail::Dtype::F32);
    REQUIRE(h.metadata.at("ctnn.signature") == "Linear<3,2>,ReLU,Linear<2,1>");
    REQUIRE(h.metadata.at("format") == "pt");
    REQUIRE(h.metadata.at("epochs") == "3");
    // 0.bias [2] holds the floats after the padded weight block: parameters 16 and 17.
    const std::byte* data = b.data() + 8 + n;
    float bias1;
    std::memcpy(&bias1, data + h.tensors[1].begin + 4, 4);  // little-endian host
    REQUIRE(bias1 == float(Linear<3, 2>::bias_offset + 1));
}

TEST_CASE("signatures name the layer types, and equal LeakyReLU slopes share a name", "[safetensors]") {
    REQUIRE(io::signature<Activations>() ==
            "Linear<6,8>,LeakyReLUSlope<1,5>,Linear<8,8>,Sigmoid,Linear<8,7>,ReLU,Linear<7,3>,LeakyReLU");
    using Same = Seq<Linear<2, 2>, ctnn::LeakyReLUSlope<20, 100>>;
    REQUIRE(io::signature<Same>() == "Linear<2,2>,LeakyReLUSlope<1,5>");
    REQUIRE(io::model_name<Tiny>() == "ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>");
}

namespace {

/// Saves through try_save_safetensors and save_safetensors: both must fail with `kind`, the same
/// message (naming the file and containing every fragment), and leave neither the file nor
/// its ".partial" behind.
template <class Net>
void expect_save_failure(const Net& net, const fs::path& file, const std::map<std::string, std::string>& metadata,
                         io::SaveErrorKind kind, std::initializer_list<std::string> fragments) {
    const io::SaveResult r = io::try_save_safetensors(net, file, metadata);
    CAPTURE(r.message);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.kind == kind);
    REQUIRE_THAT(r.message, StartsWith("ctnn: " + file.string() + ": "));
    for (const auto& f : fragments) REQUIRE_THAT(r.message, Contains(f));
    try {
        io::save_safetensors(net, file, metadata);
        FAIL("save_safetensors did not throw");
    } catch (const io::Error& e) {
        REQUIRE(std::string(e.what()) == r.message);
    }
    fs::path partial = file;
    partial += ".partial";
    REQUIRE_FALSE(fs::exists(partial));
}

}  // namespace

TEST_CASE("saving refuses NaN weights, the reserved metadata key and an unwritable path", "[safetensors]") {
    TempDir dir;
    auto net = std::make_unique<Tiny>();
    net->layer<2>().weight(0, 1) = std::numeric_limits<float>::quiet_NaN();
    expect_save_failure(*net, dir / "nan.safetensors", {}, io::SaveErrorKind::not_finite,
                        {"tensor \"2.weight\": element [0, 1] is NaN; refusing to write a file that could not be "
                         "loaded back"});
    REQUIRE_FALSE(fs::exists(dir / "nan.safetensors"));
    net->layer<2>().weight(0, 1) = -std::numeric_limits<float>::infinity();
    REQUIRE_THROWS_WITH(io::safetensors_bytes(*net), "ctnn: tensor \"2.weight\": element [0, 1] is -Inf; refusing to "
                                                     "write a file that could not be loaded back");
    net->layer<2>().weight(0, 1) = 1;
    expect_save_failure(*net, dir / "m.safetensors", {{"ctnn.signature", "x"}}, io::SaveErrorKind::invalid_metadata,
                        {"metadata key \"ctnn.signature\" is reserved"});
    expect_save_failure(*net, dir / "m.safetensors", {{"k", "\xff"}}, io::SaveErrorKind::invalid_metadata,
                        {"metadata \"k\" is not valid UTF-8"});
    expect_save_failure(*net, dir / "no" / "such" / "dir.safetensors", {}, io::SaveErrorKind::file,
                        {"cannot open", "dir.safetensors.partial for writing", "No such file or directory"});
    // The temporary is written, but cannot replace a directory: it is removed again.
    fs::create_directories(dir / "taken" / "inside");
    expect_save_failure(*net, dir / "taken", {}, io::SaveErrorKind::file, {"cannot rename the written file into place"});
    REQUIRE(fs::is_directory(dir / "taken" / "inside"));

    const io::SaveResult ok = io::try_save_safetensors(*net, dir / "m.safetensors", {{"k", "v"}});
    REQUIRE(ok.ok());
    REQUIRE(ok.message.empty());
    REQUIRE(read_all(dir / "m.safetensors") == io::safetensors_bytes(*net, {{"k", "v"}}));
}

TEST_CASE("a hand-made file in the documented layout loads", "[safetensors]") {
    auto net = std::make_unique<Tiny>();
    // Tensors in another order than the model's, metadata last, padding spaces: all fine.
    auto entries = tiny_entries();
    std::swap(entries[0], entries[3]);
    const Bytes b = file_of(json_of(entries, "\"__metadata__\":{\"note\":\"\\u00e9\\ud83d\\ude00\"}") + "   ",
                            f32_data(11));
    const io::LoadResult r = io::try_load_safetensors(*net, std::span<const std::byte>(b));
    INFO(r.message);
    REQUIRE(r.ok());
    REQUIRE(tensor_values(*net) == std::vector<float>{0.25f, 0.5f, 0.75f, 1, 1.25f, 1.5f, 1.75f, 2, 2.25f, 2.5f, 2.75f});
}

// ---------------------------------------------------------------- the model does not match

TEST_CASE("a missing tensor is named, with the layer that expects it", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries.pop_back();
    const auto msg = expect_failure(file_of(json_of(entries), f32_data(10)), Kind::missing_tensor,
                                    {"tensor \"2.bias\" is missing: ctnn::Linear<2,1> at position 2 expects it with "
                                     "shape [1] (F32); the file has \"0.weight\", \"0.bias\", \"2.weight\""});
    // An empty header (no tensors at all).
    expect_failure(file_of("{}", {}), Kind::missing_tensor, {"tensor \"0.weight\" is missing", "no tensors"});
}

TEST_CASE("an unexpected tensor is named, with why the model has no place for it", "[safetensors][errors]") {
    const auto with_extra = [](const std::string& name, std::vector<std::uint64_t> shape = {1}) {
        auto entries = tiny_entries();
        entries.push_back({name, "F32", shape, 44, 44 + 4 * (shape.size() == 2 ? shape[0] * shape[1] : shape[0])});
        return file_of(json_of(entries), f32_data(entries.back().end / 4));
    };
    expect_failure(with_extra("4.weight", {1, 1}), Kind::unexpected_tensor,
                   {"unexpected tensor \"4.weight\" [1, 1] (F32): ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>> has 3 layers "
                    "(positions 0 to 2)"});
    expect_failure(with_extra("1.weight"), Kind::unexpected_tensor,
                   {"unexpected tensor \"1.weight\"", "position 1 is ctnn::ReLU, which has no parameters"});
    expect_failure(with_extra("0.running_mean"), Kind::unexpected_tensor,
                   {"\"0.running_mean\"", "ctnn::Linear<3,2> at position 0 has only \"weight\", \"bias\""});
    expect_failure(with_extra("fc1.weight"), Kind::unexpected_tensor,
                   {"\"fc1.weight\"", "has no such tensor; it expects \"0.weight\", \"0.bias\", \"2.weight\", \"2.bias\""});
}

TEST_CASE("a wrong shape names the tensor, the expected and the found shape", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries[2].shape = {2, 1};  // the transpose of [1, 2]
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::wrong_shape,
                   {"tensor \"2.weight\": expected shape [1, 2] (F32) for ctnn::Linear<2,1> at position 2, found [2, 1]",
                    "transposed?"});
    entries[2].shape = {2};  // a rank mismatch, same size
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::wrong_shape,
                   {"tensor \"2.weight\": expected shape [1, 2] (F32) for ctnn::Linear<2,1> at position 2, found [2]"});
    // The brief's example: a bigger model whose middle layer is the wrong size.
    using Mnist = Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 256>, ctnn::ReLU, Linear<256, 10>>;
    using Other = Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 128>, ctnn::ReLU, Linear<128, 10>>;
    auto other = std::make_unique<Other>();
    const Bytes b = io::safetensors_bytes(*other);
    expect_failure<Mnist>(b, Kind::wrong_shape,
                          {"tensor \"2.weight\": expected shape [256, 256] (F32) for ctnn::Linear<256,256> at "
                           "position 2, found [128, 256]"});
}

TEST_CASE("a dtype ctnn cannot convert, or one the format does not have, is refused", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries[1].dtype = "I32";
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::unsupported_dtype,
                   {"tensor \"0.bias\": dtype I32 is not supported: ctnn::Linear<3,2> at position 0 expects F32 "
                    "(F16, BF16 and F64 are converted)"});
    entries[1].dtype = "F33";
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::unsupported_dtype,
                   {"tensor \"0.bias\": unknown dtype \"F33\""});
    entries[1].dtype = "I64";  // a known dtype of another size: the offsets no longer fit the shape
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets,
                   {"tensor \"0.bias\": shape [2] of I64 needs 16 bytes, but data_offsets are [24, 32]"});
}

TEST_CASE("a file saved from a model with other activations is refused", "[safetensors][errors]") {
    using TanhTiny = Seq<Linear<3, 2>, ctnn::Tanh, Linear<2, 1>>;
    auto net = std::make_unique<Tiny>();
    expect_failure<TanhTiny>(io::safetensors_bytes(*net), Kind::wrong_model,
                             {"saved from ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>",
                              "but the model is ctnn::Seq<Linear<3,2>,Tanh,Linear<2,1>>"});
}

TEST_CASE("NaN and infinities in the weights are refused, in every dtype", "[safetensors][errors]") {
    Bytes data = f32_data(11);
    const auto put = [&](std::size_t index, float v) {
        const auto u = std::bit_cast<std::uint32_t>(v);
        for (int i = 0; i < 4; ++i) data[4 * index + std::size_t(i)] = std::byte(u >> (8 * i));
    };
    put(4, std::numeric_limits<float>::quiet_NaN());  // 0.weight [1, 1]
    expect_failure(file_of(json_of(tiny_entries()), data), Kind::not_finite,
                   {"tensor \"0.weight\": element [1, 1] is NaN; a model with non-finite weights is refused"});
    data = f32_data(11);
    put(10, -std::numeric_limits<float>::infinity());  // 2.bias [0]
    expect_failure(file_of(json_of(tiny_entries()), data), Kind::not_finite, {"tensor \"2.bias\": element [0] is -Inf"});

    // F16 +Inf (0x7C00) in 0.bias, other tensors F32.
    auto entries = tiny_entries();
    entries[1] = {"0.bias", "F16", {2}, 24, 28};
    for (std::size_t k = 2; k < 4; ++k) entries[k].begin -= 4, entries[k].end -= 4;
    Bytes d16 = f32_data(6);
    append_le(d16, 0x3C00, 2);
    append_le(d16, 0x7C00, 2);
    for (float f : {1.0f, 2.0f, 3.0f}) append_f32(d16, f);
    expect_failure(file_of(json_of(entries), d16), Kind::not_finite, {"tensor \"0.bias\": element [1] is +Inf"});
    // BF16 NaN (0x7FC0).
    entries[1].dtype = "BF16";
    d16[24 + 2] = std::byte(0xC0), d16[24 + 3] = std::byte(0x7F);
    expect_failure(file_of(json_of(entries), d16), Kind::not_finite, {"tensor \"0.bias\": element [1] is NaN"});
    // F64 beyond the float range.
    entries = tiny_entries();
    entries[3] = {"2.bias", "F64", {1}, 40, 48};
    Bytes d64 = f32_data(10);
    append_le(d64, std::bit_cast<std::uint64_t>(1e300), 8);
    expect_failure(file_of(json_of(entries), d64), Kind::not_finite,
                   {"tensor \"2.bias\": element [0] is 1e+300, beyond the float range"});
}

// ---------------------------------------------------------------- the container is broken

TEST_CASE("offsets that overlap, leave a hole or run past the file are refused", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries[1].begin = 20, entries[1].end = 28;  // inside 0.weight
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets,
                   {"tensors \"0.weight\" (bytes [0, 24)) and \"0.bias\" (bytes [20, 28)) overlap"});

    entries = tiny_entries();
    for (std::size_t k = 1; k < 4; ++k) entries[k].begin += 4, entries[k].end += 4;
    expect_failure(file_of(json_of(entries), f32_data(12)), Kind::bad_offsets,
                   {"bytes [24, 28) of the data section belong to no tensor (a hole between \"0.weight\" and "
                    "\"0.bias\")"});
    expect_failure(file_of(json_of(tiny_entries()), f32_data(12)), Kind::bad_offsets,
                   {"bytes [44, 48) at the end of the data section belong to no tensor (a hole after \"2.bias\")"});
    entries = tiny_entries();
    entries[0].begin = 4, entries[0].end = 28;
    expect_failure(file_of(json_of(entries), f32_data(12)), Kind::bad_offsets, {"before \"0.weight\""});

    // A file cut short inside the data.
    expect_failure(file_of(json_of(tiny_entries()), f32_data(10)), Kind::bad_offsets,
                   {"tensor \"2.bias\": data_offsets [40, 44] run past the end of the file: its data section has "
                    "40 bytes"});
    entries = tiny_entries();
    entries[0].end = 20;
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets,
                   {"tensor \"0.weight\": shape [2, 3] of F32 needs 24 bytes, but data_offsets are [0, 20]"});
    entries = tiny_entries();
    entries[3].begin = 44, entries[3].end = 40;
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets, {"data_offsets are [44, 40]"});
    entries = tiny_entries();
    entries[3].shape = {1ull << 32, 1ull << 32, 1ull << 32};
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets, {"\"2.bias\": shape", "is too large"});
}

TEST_CASE("a truncated file, a huge header length or a missing file are refused", "[safetensors][errors]") {
    expect_failure(Bytes{}, Kind::truncated, {"truncated: the file has 0 bytes"});
    expect_failure(Bytes(5), Kind::truncated, {"truncated: the file has 5 bytes, but a safetensors file starts"});
    const std::string h = json_of(tiny_entries());
    expect_failure(file_of(h, {}, h.size() + 10), Kind::truncated,
                   {"truncated: the header length field says " + std::to_string(h.size() + 10) + " bytes but only " +
                    std::to_string(h.size()) + " follow it"});
    expect_failure(file_of(h, f32_data(11), 200'000'000), Kind::header_too_big,
                   {"the header length field says 200000000 bytes, above the limit of 100000000",
                    "is this a safetensors file?"});
    // A text file: its first 8 bytes read as a length.
    const std::string text = "hello, this is not a model at all\n";
    Bytes t;
    for (char c : text) t.push_back(std::byte(c));
    expect_failure(t, Kind::header_too_big, {"is this a safetensors file?"});

    TempDir dir;
    auto net = std::make_unique<Tiny>();
    io::LoadResult r = io::try_load_safetensors(*net, dir / "absent.safetensors");
    REQUIRE(r.kind == Kind::file);
    REQUIRE_THAT(r.message, Contains("absent.safetensors: cannot open: no such file"));
    r = io::try_load_safetensors(*net, dir.path);
    REQUIRE(r.kind == Kind::file);
    REQUIRE_THAT(r.message, Contains("not a regular file"));
    REQUIRE_THROWS_AS(io::load_safetensors(*net, dir / "absent.safetensors"), io::Error);
}

TEST_CASE("a header that is not JSON says where", "[safetensors][errors]") {
    const auto header_only = [](const std::string& h) { return file_of(h, {}); };
    const std::string bad_json = "the header is not valid JSON: ";
    expect_failure(header_only(""), Kind::invalid_json, {bad_json + "expected a value, found end of text at byte 0"});
    expect_failure(header_only("{\"0.weight\":"), Kind::invalid_json, {bad_json, "end of text at byte 12"});
    expect_failure(header_only("{\"a\":1,}"), Kind::invalid_json, {bad_json + "expected a string key, found '}' at byte 7"});
    expect_failure(header_only("{\"a\":[1 2]}"), Kind::invalid_json, {bad_json + "expected ',' or ']', found '2'"});
    expect_failure(header_only("{\"a\":01}"), Kind::invalid_json, {bad_json + "expected ',' or '}', found '1'"});
    expect_failure(header_only("{\"a\":tru}"), Kind::invalid_json, {bad_json + "expected a value"});
    expect_failure(header_only("{\"a\\q\":1}"), Kind::invalid_json, {bad_json + "invalid escape"});
    expect_failure(header_only("{\"a\tb\":1}"), Kind::invalid_json, {bad_json + "control character"});
    expect_failure(header_only("{\"\xc3(\":1}"), Kind::invalid_json, {bad_json + "invalid UTF-8"});
    expect_failure(header_only("{\"\xed\xa0\x80\":1}"), Kind::invalid_json, {bad_json + "invalid UTF-8"});
    expect_failure(header_only("{\"\\ud800\":1}"), Kind::invalid_json, {bad_json + "unpaired UTF-16 surrogate"});
    expect_failure(header_only("{} x"), Kind::invalid_json, {bad_json + "unexpected 'x' after the JSON value"});
    expect_failure(header_only("{\"a\":1}\0"s), Kind::invalid_json, {bad_json + "unexpected byte 0x00"});
    expect_failure(header_only(std::string(100, '[') + std::string(100, ']')), Kind::invalid_json,
                   {bad_json + "nested too deeply"});
}

TEST_CASE("JSON that is not a safetensors header says what is wrong", "[safetensors][errors]") {
    const auto header_only = [](const std::string& h) { return file_of(h, {}); };
    expect_failure(header_only("[1, 2]"), Kind::invalid_header, {"the header must be a JSON object"});
    expect_failure(header_only(" {}"), Kind::invalid_header, {"starting with '{'"});
    expect_failure(header_only("{\"0.weight\":[]}"), Kind::invalid_header,
                   {"tensor \"0.weight\": expected an object {\"dtype\", \"shape\", \"data_offsets\"}, found an array"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3]}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": no \"data_offsets\""});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":32}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": \"dtype\" must be a string"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,-3]}}"), Kind::invalid_header,
                   {"\"shape\" must be an array of non-negative integers"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3.0]}}"), Kind::invalid_header,
                   {"\"shape\" must be an array of non-negative integers"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999]}}"),
                   Kind::invalid_header, {"\"shape\" must be an array of non-negative integers"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}"),
                   Kind::invalid_header, {"\"data_offsets\" must be [begin, end]"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": \"dtype\" appears twice"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"strides\":[1]}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": unknown key \"strides\""});
    expect_failure(header_only("{\"__metadata__\":{\"epochs\":3}}"), Kind::invalid_header,
                   {"\"__metadata__\" must be an object of strings: \"epochs\" is a number"});
    expect_failure(header_only("{\"__metadata__\":{},\"__metadata__\":{}}"), Kind::invalid_header,
                   {"\"__metadata__\" appears twice"});
    auto entries = tiny_entries();
    entries.push_back(entries[0]);
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::invalid_header, {"tensor \"0.weight\" appears twice"});
    // Names from the file are quoted with odd bytes escaped.
    expect_failure(header_only("{\"a\\n\\\"b\":{}}"), Kind::invalid_header, {"tensor \"a\\x0a\\\"b\""});
}

// ---------------------------------------------------------------- tensor tables

namespace {

/// A training checkpoint's shape: a model's weights and one more block of the same layout.
struct Checkpoint {
    std::unique_ptr<Tiny> net = std::make_unique<Tiny>();
    std::vector<float> moment = std::vector<float>(Tiny::parameter_block_size, 0.0f);

    std::vector<io::TensorBlock<float>> blocks() {
        return {io::model_tensors<Tiny>(net->parameters()), io::model_tensors<Tiny>(moment.data(), "adam.m.")};
    }
    std::vector<io::TensorBlock<const float>> blocks() const {
        return {io::model_tensors<Tiny>(std::as_const(*net).parameters()),
                io::model_tensors<Tiny>(std::as_const(moment).data(), "adam.m.")};
    }
    void fill(float first) {
        for (std::size_t i = 0; i < Tiny::parameter_block_size; ++i) {
            net->parameters()[i] = first + float(i);
            moment[i] = first - float(i);
        }
    }
    std::vector<float> values() const {
        auto v = tensor_values(*net);
        for (const auto& t : Tiny::tensors) v.insert(v.end(), moment.begin() + long(t.offset), moment.begin() + long(t.offset + t.info.size()));
        return v;
    }
};

}  // namespace

TEST_CASE("a model's tensor table names, shapes and places Net::tensors", "[safetensors][tables]") {
    std::vector<float> block(Tiny::parameter_block_size);
    const auto table = io::model_tensors<Tiny>(block.data(), "grad.");
    REQUIRE(table.prefix == "grad.");
    REQUIRE(table.owner == "ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>");
    REQUIRE(table.tensors.size() == 4);
    REQUIRE(table.tensors[2].name == "2.weight");
    REQUIRE(table.tensors[2].shape == std::vector<std::size_t>{1, 2});
    REQUIRE(table.tensors[2].data == block.data() + Tiny::tensors[2].offset);
    REQUIRE(table.tensors[2].owner == "ctnn::Linear<2,1> at position 2");
    REQUIRE(table.tensors[3].size() == 1);
}

TEST_CASE("several tensor blocks save to one file and load back bit for bit", "[safetensors][tables]") {
    TempDir dir;
    Checkpoint saved;
    saved.fill(0.5f);
    const fs::path file = dir / "checkpoint.safetensors";
    REQUIRE(io::try_save_tensors(file, std::as_const(saved).blocks(), {{"step", "42"}}).ok());
    REQUIRE(read_all(file) == io::tensors_bytes(std::as_const(saved).blocks(), {{"step", "42"}}));

    Checkpoint loaded;
    io::Metadata metadata;
    io::LoadOptions options;
    options.metadata = &metadata;
    const io::LoadResult r = io::try_load_tensors(file, loaded.blocks(), options);
    INFO(r.message);
    REQUIRE(r.ok());
    REQUIRE(loaded.values() == saved.values());
    REQUIRE(metadata == io::Metadata{{"format", "pt"}, {"step", "42"}});

    Checkpoint from_memory;
    const Bytes bytes = read_all(file);
    io::load_tensors(std::span<const std::byte>(bytes), "checkpoint", from_memory.blocks());
    REQUIRE(from_memory.values() == saved.values());

    // A model alone does not load from it: the second block's tensors have no place there.
    auto net = std::make_unique<Tiny>();
    const io::LoadResult alone = io::try_load_safetensors(*net, file);
    REQUIRE(alone.kind == Kind::unexpected_tensor);
    REQUIRE_THAT(alone.message, Contains("unexpected tensor \"adam.m.0.weight\" [2, 3] (F32): ctnn::Seq<Linear<3,2>,"
                                         "ReLU,Linear<2,1>> has no such tensor; it expects \"0.weight\""));
}

TEST_CASE("loading tensor blocks names what is missing or unexpected, and touches nothing on failure",
          "[safetensors][tables]") {
    Checkpoint saved;
    saved.fill(1.0f);
    Checkpoint target;
    target.fill(7.0f);
    const auto before = target.values();
    const auto expect = [&](const Bytes& bytes, Kind kind, const std::string& fragment,
                            const io::LoadOptions& options = {}) {
        const io::LoadResult r = io::try_load_tensors(std::span<const std::byte>(bytes), "ckpt", target.blocks(), options);
        CAPTURE(r.message);
        REQUIRE(r.kind == kind);
        REQUIRE_THAT(r.message, StartsWith("ctnn: ckpt: ") && Contains(fragment));
        REQUIRE(target.values() == before);
    };
    // The model's file alone: the second block is missing, named with its prefix and owner.
    expect(io::safetensors_bytes(*saved.net), Kind::missing_tensor,
           "tensor \"adam.m.0.weight\" is missing: ctnn::Linear<3,2> at position 0 expects it with shape [2, 3]");
    // A tensor under the second block's prefix that Tiny has no place for: the model explains.
    std::vector<float> extra(1, 1.0f);
    auto blocks = std::as_const(saved).blocks();
    blocks.push_back({"adam.m.", {{"7.weight", {1}, extra.data(), "test"}}, "test", {}});
    expect(io::tensors_bytes(blocks), Kind::unexpected_tensor,
           "unexpected tensor \"adam.m.7.weight\" [1] (F32): ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>> has 3 layers");
    // A NaN in the last block's last tensor: no block is touched.
    Bytes bytes = io::tensors_bytes(std::as_const(saved).blocks());
    const std::uint64_t n = io::detail::load_le64(bytes.data());
    const std::uint32_t nan = std::bit_cast<std::uint32_t>(std::numeric_limits<float>::quiet_NaN());
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + std::size_t(i)] = std::byte(nan >> (8 * i));
    REQUIRE(bytes.size() > 8 + n);
    expect(bytes, Kind::not_finite, "tensor \"adam.m.2.bias\": element [0] is NaN");
    // The caller's metadata check runs before the data is read.
    io::LoadOptions options;
    options.check_metadata = [](const io::Metadata& m) {
        return m.count("step") ? std::string() : std::string("not a checkpoint: no \"step\" in the metadata");
    };
    expect(io::tensors_bytes(std::as_const(saved).blocks()), Kind::wrong_model, "not a checkpoint: no \"step\"", options);
    // A file whose tensor carries no block's prefix.
    std::vector<io::TensorBlock<float>> prefixed{io::model_tensors<Tiny>(target.moment.data(), "adam.m.")};
    const io::LoadResult r = io::try_load_tensors(std::span<const std::byte>(io::safetensors_bytes(*saved.net)), "ckpt",
                                                  prefixed);
    REQUIRE(r.kind == Kind::missing_tensor);
    Bytes both = io::tensors_bytes(std::as_const(saved).blocks());
    const io::LoadResult u = io::try_load_tensors(std::span<const std::byte>(both), "ckpt", prefixed);
    REQUIRE(u.kind == Kind::unexpected_tensor);
    REQUIRE_THAT(u.message, Contains("\"0.weight\" [2, 3] (F32): no tensor of that name is expected; the expected "
                                     "tensors are \"adam.m.0.weight\""));
}

TEST_CASE("a table of any shapes round-trips, and saving refuses what a file cannot hold", "[safetensors][tables]") {
    std::vector<float> embedding(12), scale{2.5f};
    for (std::size_t i = 0; i < embedding.size(); ++i) embedding[i] = float(i) / 8;
    const std::vector<io::TensorBlock<const float>> table{
        {"", {{"embedding", {2, 2, 3}, embedding.data(), "the embedding"}, {"scale", {}, scale.data(), "the scale"}},
         "my model", {}}};
    const Bytes bytes = io::tensors_bytes(table);

    std::vector<float> embedding_back(12), scale_back(1);
    const std::vector<io::TensorBlock<float>> into{
        {"", {{"embedding", {2, 2, 3}, embedding_back.data(), "the embedding"}, {"scale", {}, scale_back.data(), "the scale"}},
         "my model", {}}};
    io::load_tensors(std::span<const std::byte>(bytes), "mine", into);
    REQUIRE(embedding_back == embedding);
    REQUIRE(scale_back == scale);
    // A shape differing in one dimension, and the generic "no such tensor" hint.
    std::vector<io::TensorBlock<float>> other = into;
    other[0].tensors[0].shape = {2, 3, 2};
    const io::LoadResult r = io::try_load_tensors(std::span<const std::byte>(bytes), "mine", other);
    REQUIRE(r.kind == Kind::wrong_shape);
    REQUIRE_THAT(r.message, Contains("tensor \"embedding\": expected shape [2, 3, 2] (F32) for the embedding, found "
                                     "[2, 2, 3]"));
    other = into;
    other[0].tensors.pop_back();
    REQUIRE_THAT(io::try_load_tensors(std::span<const std::byte>(bytes), "mine", other).message,
                 Contains("unexpected tensor \"scale\" [] (F32): my model has no such tensor; it expects \"embedding\""));

    TempDir dir;
    const auto refused = [&](const std::vector<io::TensorBlock<const float>>& blocks, io::SaveErrorKind kind,
                             const std::string& fragment) {
        const io::SaveResult s = io::try_save_tensors(dir / "t.safetensors", blocks);
        CAPTURE(s.message);
        REQUIRE(s.kind == kind);
        REQUIRE_THAT(s.message, Contains(fragment));
        REQUIRE_THROWS_WITH(io::save_tensors(dir / "t.safetensors", blocks), s.message);
        REQUIRE(fs::is_empty(dir.path));
    };
    embedding[7] = std::numeric_limits<float>::infinity();
    refused(table, io::SaveErrorKind::not_finite, "tensor \"embedding\": element [1, 0, 1] is +Inf");
    embedding[7] = 0;
    auto twice = table;
    twice.push_back(table[0]);
    refused(twice, io::SaveErrorKind::invalid_table, "two tensors to save are named \"embedding\"");
    auto reserved = table;
    reserved[0].tensors[1].name = "__metadata__";
    refused(reserved, io::SaveErrorKind::invalid_table, "tensor name \"__metadata__\" cannot be saved");
}

// ---------------------------------------------------------------- dtypes

TEST_CASE("F16, BF16 and F64 convert exactly as IEEE rounding says", "[safetensors][dtype]") {
    using io::detail::bf16_to_float;
    using io::detail::f16_to_float;
    REQUIRE(f16_to_float(0x3C00) == 1.0f);
    REQUIRE(f16_to_float(0xC000) == -2.0f);
    REQUIRE(f16_to_float(0x7BFF) == 65504.0f);
    REQUIRE(f16_to_float(0x0001) == 0x1p-24f);  // smallest subnormal
    REQUIRE(f16_to_float(0x03FF) == 1023 * 0x1p-24f);
    REQUIRE(f16_to_float(0x0400) == 0x1p-14f);  // smallest normal
    REQUIRE(f16_to_float(0x3555) == 0.333251953125f);
    REQUIRE(std::signbit(f16_to_float(0x8000)));
    REQUIRE(bf16_to_float(0x3F80) == 1.0f);
    REQUIRE(bf16_to_float(0x4049) == 3.140625f);
    REQUIRE(bf16_to_float(0x0001) == std::bit_cast<float>(0x00010000u));

    // One file with a tensor in each: 0.weight F64, 0.bias F16, 2.weight BF16, 2.bias F32.
    std::vector<Entry> entries{{"0.weight", "F64", {2, 3}, 0, 48},
                               {"0.bias", "F16", {2}, 48, 52},
                               {"2.weight", "BF16", {1, 2}, 52, 56},
                               {"2.bias", "F32", {1}, 56, 60}};
    Bytes d;
    const double w0[6] = {0.1, -1e-30, 3.0, 1e-45, -0.0, double(std::numeric_limits<float>::max())};
    for (double v : w0) append_le(d, std::bit_cast<std::uint64_t>(v), 8);
    append_le(d, 0x3555, 2), append_le(d, 0x0001, 2);
    append_le(d, 0x4049, 2), append_le(d, 0xC000, 2);
    append_f32(d, 0.5f);
    auto net = std::make_unique<Tiny>();
    const Bytes file = file_of(json_of(entries), d);
    io::load_safetensors(*net, std::span<const std::byte>(file));
    const auto v = tensor_values(*net);
    REQUIRE(v[0] == 0.1f);
    REQUIRE(v[1] == float(-1e-30));
    REQUIRE(v[2] == 3.0f);
    REQUIRE(v[3] == float(1e-45));  // rounds to the smallest float subnormal
    REQUIRE(v[5] == std::numeric_limits<float>::max());
    REQUIRE(v[6] == 0.333251953125f);
    REQUIRE(v[7] == 0x1p-24f);
    REQUIRE(v[8] == 3.140625f);
    REQUIRE(v[9] == -2.0f);
    REQUIRE(v[10] == 0.5f);
}

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

TEST_CASE("check_writable tries a save's file without writing it, and names the path when it cannot", "[safetensors]") {
    const test::TempDir dir;
    const auto path = dir / "model.safetensors";
    CHECK(ctnn::io::try_check_writable(path));
    CHECK_FALSE(std::filesystem::exists(path));  // nothing left behind
    CHECK(std::filesystem::is_empty(dir.path));

    const auto missing = dir / "no/such/folder/model.safetensors";
    const auto r = ctnn::io::try_check_writable(missing);
    REQUIRE_FALSE(r);
    CHECK(r.kind == ctnn::io::SaveErrorKind::file);
    CHECK_THAT(r.message, Catch::Contains(missing.string() + ": cannot be written"));
    CHECK_THROWS_WITH(ctnn::io::check_writable(dir.path), Catch::Contains("is a directory"));
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
