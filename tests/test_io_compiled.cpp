// The I/O compiled once (CMake's ctnn::io_compiled, CTNN_IO_SEPARATE_COMPILATION): this program
// sees the file-handling functions declared only, and every call below reaches the library's
// one copy of them. The functions themselves are tested in test_safetensors and test_idx.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/io/safetensors.hpp>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <vector>
#include "support.hpp"

static_assert(CTNN_IO_DEFINITIONS == 0, "compiled with CTNN_IO_SEPARATE_COMPILATION: declarations only");

namespace {

namespace fs = std::filesystem;
using Net = ctnn::Seq<ctnn::Input<1, 4, 4>, ctnn::Conv2D<1, 2, 3>, ctnn::ReLU, ctnn::Flatten, ctnn::Linear<8, 3>>;

std::vector<float> values(const Net& net) {
    return {net.parameters(), net.parameters() + Net::parameter_block_size};
}

}  // namespace

TEST_CASE("a model saves and loads through the compiled I/O, from a file and from memory", "[io_compiled]") {
    test::TempDir dir;
    const fs::path file = dir / "net.safetensors";
    Net net;
    ctnn::Rng rng(5);
    ctnn::init::pytorch_default(net, rng);
    ctnn::io::save_safetensors(net, file, {{"note", "compiled once"}});

    Net back;
    ctnn::io::load_safetensors(back, file);
    REQUIRE(values(back) == values(net));

    const std::vector<std::byte> bytes = ctnn::io::safetensors_bytes(net, {{"note", "compiled once"}});
    Net from_memory;
    REQUIRE(ctnn::io::try_load_safetensors(from_memory, std::span<const std::byte>(bytes)).ok());
    REQUIRE(values(from_memory) == values(net));
}

TEST_CASE("the compiled I/O refuses a truncated file, naming it, and leaves the model unchanged", "[io_compiled]") {
    test::TempDir dir;
    const fs::path file = dir / "truncated.safetensors";
    Net net;
    ctnn::Rng rng(6);
    ctnn::init::pytorch_default(net, rng);
    const std::vector<std::byte> bytes = ctnn::io::safetensors_bytes(net);
    {
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size() - 5));
    }
    Net other;
    const std::vector<float> before = values(other);
    const ctnn::io::LoadResult r = ctnn::io::try_load_safetensors(other, file);
    REQUIRE_FALSE(r.ok());
    REQUIRE_THAT(r.message, Catch::Contains(file.string()) && Catch::Contains("truncated"));
    REQUIRE(values(other) == before);
    REQUIRE_THROWS_WITH(ctnn::io::check_writable("/nonexistent/ctnn/model.safetensors"),
                        Catch::Contains("cannot be written"));
}

TEST_CASE("the compiled IDX reader names a missing file", "[io_compiled]") {
    REQUIRE_THROWS_WITH(ctnn::io::read_idx_labels("no-such-file-idx1-ubyte"), Catch::Contains("no-such-file-idx1-ubyte"));
    REQUIRE_THROWS_WITH(ctnn::io::find_idx_file(fs::temp_directory_path(), "no-such-file"),
                        Catch::Contains("neither no-such-file nor no-such-file.gz"));
}
