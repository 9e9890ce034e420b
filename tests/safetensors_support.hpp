#pragma once
// What the safetensors tests share: the models, byte-level file builders and the PyTorch
// fixture readers (test_safetensors.cpp: the format and its errors; test_safetensors_torch.cpp:
// PyTorch's exports and the round trip).
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


inline fs::path write(const fs::path& p, const Bytes& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return p;
}

inline Bytes read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), {});
    Bytes b(c.size());
    std::memcpy(b.data(), c.data(), c.size());
    return b;
}

inline void append_le(Bytes& b, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(std::byte(v >> (8 * i)));
}

inline void append_f32(Bytes& b, float f) { append_le(b, std::bit_cast<std::uint32_t>(f), 4); }

/// A file: the 8-byte length (of `header`, unless given), the header, the data.
inline Bytes file_of(const std::string& header, const Bytes& data, std::uint64_t length = UINT64_MAX) {
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

inline std::string json_of(const std::vector<Entry>& entries, const std::string& extra = "") {
    std::string h = "{";
    for (const auto& e : entries) {
        if (h.size() > 1) h += ",";
        h += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[";
        for (std::size_t i = 0; i < e.shape.size(); ++i) {
            if (i) h += ',';
            h += std::to_string(e.shape[i]);  // appended: "," + to_string gives g++ 12 a false -Wstringop-overflow
        }
        h += "],\"data_offsets\":[" + std::to_string(e.begin) + "," + std::to_string(e.end) + "]}";
    }
    if (!extra.empty()) h += (h.size() > 1 ? "," : "") + extra;
    return h + "}";
}

/// Tiny's tensors as F32, in order, packed: 0.weight [2,3], 0.bias [2], 2.weight [1,2], 2.bias [1].
inline std::vector<Entry> tiny_entries() {
    return {{"0.weight", "F32", {2, 3}, 0, 24},
            {"0.bias", "F32", {2}, 24, 32},
            {"2.weight", "F32", {1, 2}, 32, 40},
            {"2.bias", "F32", {1}, 40, 44}};
}

/// n floats 0.25, 0.5, 0.75, ...
inline Bytes f32_data(std::size_t n) {
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
inline Samples read_samples(const std::string& file) {
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
