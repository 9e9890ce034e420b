// libFuzzer harness for the safetensors loader: any bytes, loaded from memory into two models
// (a tiny one that small mutations can satisfy, and the shape of the PyTorch fixture), into the
// tiny one's int8 model, and into a table of two blocks (the tiny model's weights and a second block under the prefix "m.", as a
// training checkpoint has). Beyond "no crash, no sanitizer report" it checks the loader's promises:
//   - a failed load leaves every destination unchanged and explains itself ("ctnn: <source>: ...");
//   - a successful load gives finite weights, and saving them reproduces a file that loads to
//     the same weights.
// Built with -DCTNN_BUILD_FUZZERS=ON (clang); replay_corpus.cpp runs the committed corpus through
// the same function in every ordinary test build.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

namespace {

using Tiny = ctnn::Seq<ctnn::Linear<3, 2>, ctnn::ReLU, ctnn::Linear<2, 1>>;
using Small = ctnn::Seq<ctnn::Linear<13, 17>, ctnn::Tanh, ctnn::Linear<17, 5>>;

void require(bool ok) {
    if (!ok) std::abort();
}

template <class Net>
void load_into(std::span<const std::byte> bytes) {
    static const auto net = std::make_unique<Net>();
    constexpr float sentinel = 7.0f;
    for (std::size_t i = 0; i < Net::parameter_block_size; ++i) net->parameters()[i] = sentinel;

    const ctnn::io::LoadResult r = ctnn::io::try_load_safetensors(*net, bytes, "fuzz");
    if (!r.ok()) {
        require(r.message.rfind("ctnn: fuzz: ", 0) == 0);
        for (std::size_t i = 0; i < Net::parameter_block_size; ++i) require(net->parameters()[i] == sentinel);
        return;
    }
    for (const auto& t : Net::tensors)
        for (std::size_t i = 0; i < t.info.size(); ++i) require(ctnn::io::detail::is_finite(net->parameters()[t.offset + i]));
#if defined(__cpp_exceptions)
    const auto again = ctnn::io::safetensors_bytes(*net);
    static const auto copy = std::make_unique<Net>();
    require(ctnn::io::try_load_safetensors(*copy, std::span<const std::byte>(again), "again").ok());
    for (const auto& t : Net::tensors)
        for (std::size_t i = 0; i < t.info.size(); ++i)
            require(copy->parameters()[t.offset + i] == net->parameters()[t.offset + i]);
#endif
}

/// The same for an int8 model (I8 weights, scales and zero points checked as they load): a
/// failed load leaves its outputs as they were; a loaded model saves to the bytes it came from
/// but for the order and the metadata, so saving it again gives the same file.
void load_int8(std::span<const std::byte> bytes) {
    static const auto model = std::make_unique<ctnn::Int8Model<Tiny>>();
    static const std::array<float, 3> x{0.5f, -1.0f, 2.0f};
    *model = ctnn::Int8Model<Tiny>();
    const auto before = model->forward(x);
    const ctnn::io::LoadResult r = ctnn::io::try_load_safetensors(*model, bytes, "fuzz");
    if (!r.ok()) {
        require(r.message.rfind("ctnn: fuzz: ", 0) == 0);
        const auto after = model->forward(x);
        require(std::equal(before.begin(), before.end(), after.begin(), [](float a, float b) {
            return a == b || (a != a && b != b);
        }));
        return;
    }
    for (std::size_t i : {0, 2}) {
        require(model->input_quantization(i).scale > 0);
        require(model->input_quantization(i).zero_point >= 0 && model->input_quantization(i).zero_point <= 255);
    }
#if defined(__cpp_exceptions)
    const auto again = ctnn::io::safetensors_bytes(*model);
    static const auto copy = std::make_unique<ctnn::Int8Model<Tiny>>();
    require(ctnn::io::try_load_safetensors(*copy, std::span<const std::byte>(again), "again").ok());
    require(ctnn::io::safetensors_bytes(*copy) == again);
#endif
}

/// The same for a two-block table: all of both blocks, or nothing.
void load_blocks(std::span<const std::byte> bytes) {
    static std::array<std::vector<float>, 2> blocks{std::vector<float>(Tiny::parameter_block_size),
                                                   std::vector<float>(Tiny::parameter_block_size)};
    constexpr float sentinel = 7.0f;
    for (auto& b : blocks) std::fill(b.begin(), b.end(), sentinel);
    const std::vector<ctnn::io::TensorBlock<float>> table{ctnn::io::model_tensors<Tiny>(blocks[0].data()),
                                                          ctnn::io::model_tensors<Tiny>(blocks[1].data(), "m.")};
    const ctnn::io::LoadResult r = ctnn::io::try_load_tensors(bytes, "fuzz", table);
    if (!r.ok()) {
        require(r.message.rfind("ctnn: fuzz: ", 0) == 0);
        for (const auto& b : blocks) require(std::all_of(b.begin(), b.end(), [](float x) { return x == sentinel; }));
        return;
    }
    for (const auto& b : blocks)
        for (const auto& t : Tiny::tensors)
            for (std::size_t i = 0; i < t.info.size(); ++i) require(ctnn::io::detail::is_finite(b[t.offset + i]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    load_into<Tiny>(bytes);
    load_into<Small>(bytes);
    load_blocks(bytes);
    load_int8(bytes);
    return 0;
}
