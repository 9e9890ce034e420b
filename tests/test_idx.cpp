// The IDX reader: small files written here, plain and gzip, and every way a file can be wrong.
// Each error must name the file and say what was expected.
#include <ctnn/io/idx.hpp>
#include <catch2/catch.hpp>
#include <unistd.h>
#include <zlib.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include "support.hpp"

namespace fs = std::filesystem;
using test::TempDir;
using Catch::Matchers::Contains;

namespace {

using Bytes = std::vector<std::uint8_t>;


void put32(Bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(std::uint8_t(v >> shift));
}

Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 2051) {
    Bytes b;
    put32(b, magic);
    put32(b, count);
    put32(b, rows);
    put32(b, cols);
    for (std::uint32_t i = 0; i < count * rows * cols; ++i) b.push_back(std::uint8_t(i * 7 + 3));
    return b;
}

Bytes idx_labels(const Bytes& labels, std::uint32_t magic = 2049) {
    Bytes b;
    put32(b, magic);
    put32(b, std::uint32_t(labels.size()));
    b.insert(b.end(), labels.begin(), labels.end());
    return b;
}

fs::path write(const fs::path& p, const Bytes& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return p;
}

fs::path write_gz(const fs::path& p, const Bytes& b) {
    gzFile f = gzopen(p.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(gzwrite(f, b.data(), unsigned(b.size())) == int(b.size()));
    REQUIRE(gzclose(f) == Z_OK);
    return p;
}

Bytes read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("IDX images and labels are read as bytes, plain and gzip", "[idx]") {
    TempDir dir;
    const Bytes images = idx_images(3, 2, 4);
    const Bytes labels = idx_labels({0, 9, 4});
    for (bool gz : {false, true}) {
        auto save = [&](const std::string& name, const Bytes& b) {
            return gz ? write_gz(dir / (name + ".gz"), b) : write(dir / name, b);
        };
        const auto im = ctnn::io::read_idx_images(save("im", images));
        CHECK(im.count == 3);
        CHECK(im.rows == 2);
        CHECK(im.cols == 4);
        CHECK(im.sample_size() == 8);
        CHECK(im.pixels == Bytes(images.begin() + 16, images.end()));
        const auto lb = ctnn::io::read_idx_labels(save("lb", labels));
        CHECK(lb.labels == Bytes{0, 9, 4});
        const auto ds = ctnn::io::read_idx_dataset(im.file, lb.file, 8, 10);
        CHECK(ds.size() == 3);
    }
}

TEST_CASE("An empty IDX file (count 0) is valid", "[idx]") {
    TempDir dir;
    CHECK(ctnn::io::read_idx_images(write(dir / "im", idx_images(0, 28, 28))).pixels.empty());
    CHECK(ctnn::io::read_idx_labels(write(dir / "lb", idx_labels({}))).labels.empty());
}

TEST_CASE("A wrong magic number is rejected, naming the file and the expected magic", "[idx]") {
    TempDir dir;
    const auto labels = write(dir / "labels-file", idx_labels({1, 2}));
    const auto images = write(dir / "images-file", idx_images(2, 2, 2));
    const auto junk = write(dir / "junk", idx_images(2, 2, 2, 0x12345678));
    CHECK_THROWS_WITH(ctnn::io::read_idx_images(labels),
                      Contains("labels-file") && Contains("wrong magic number") && Contains("expected 0x00000803") &&
                          Contains("this is an IDX label file"));
    CHECK_THROWS_WITH(ctnn::io::read_idx_labels(images), Contains("images-file") && Contains("expected 0x00000801") &&
                                                             Contains("this is an IDX image file"));
    CHECK_THROWS_WITH(ctnn::io::read_idx_images(junk), Contains("junk") && Contains("0x12345678"));
    CHECK_THROWS_AS(ctnn::io::read_idx_images(junk), ctnn::io::Error);
    // ctnn::io::Error is a std::runtime_error, so generic handlers catch it.
    CHECK_THROWS_AS(ctnn::io::read_idx_images(junk), std::runtime_error);
}

TEST_CASE("A truncated file is rejected: header or data, plain or gzip", "[idx]") {
    TempDir dir;
    const Bytes images = idx_images(5, 3, 3);
    const Bytes labels = idx_labels({1, 2, 3, 4, 5});
    SECTION("data cut short") {
        const Bytes cut(images.begin(), images.end() - 1);
        CHECK_THROWS_WITH(ctnn::io::read_idx_images(write(dir / "short", cut)),
                          Contains("short") && Contains("truncated") && Contains("5 images of 3x3") &&
                              Contains("61 bytes in all"));
        CHECK_THROWS_WITH(ctnn::io::read_idx_images(write_gz(dir / "short.gz", cut)),
                          Contains("short.gz") && Contains("truncated") && Contains("ends after 60"));
        const Bytes lcut(labels.begin(), labels.end() - 2);
        CHECK_THROWS_WITH(ctnn::io::read_idx_labels(write(dir / "lshort", lcut)),
                          Contains("lshort") && Contains("truncated") && Contains("5 one-byte labels"));
    }
    SECTION("header cut short") {
        CHECK_THROWS_WITH(ctnn::io::read_idx_images(write(dir / "h", Bytes(images.begin(), images.begin() + 10))),
                          Contains("'") && Contains("h'") && Contains("truncated") && Contains("needs 16 bytes"));
        CHECK_THROWS_WITH(ctnn::io::read_idx_labels(write(dir / "tiny", Bytes{0, 0})),
                          Contains("tiny") && Contains("too short for an IDX header"));
        CHECK_THROWS_WITH(ctnn::io::read_idx_labels(write(dir / "empty", Bytes{})),
                          Contains("empty") && Contains("truncated"));
    }
    SECTION("a gzip stream cut in the middle") {
        const auto full = write_gz(dir / "full.gz", idx_images(50, 28, 28));
        Bytes gz = read_all(full);
        gz.resize(gz.size() / 2);
        CHECK_THROWS_WITH(ctnn::io::read_idx_images(write(dir / "half.gz", gz)),
                          Contains("half.gz") && (Contains("truncated") || Contains("corrupt gzip")));
    }
    SECTION("more data than the header announces") {
        Bytes longer = images;
        longer.push_back(0);
        CHECK_THROWS_WITH(ctnn::io::read_idx_images(write(dir / "long", longer)),
                          Contains("long") && Contains("longer than its header says"));
    }
}

TEST_CASE("Corrupt gzip data is rejected", "[idx]") {
    TempDir dir;
    Bytes gz = read_all(write_gz(dir / "ok.gz", idx_images(20, 28, 28)));
    for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 16; ++i) gz[i] ^= 0x5a;
    CHECK_THROWS_WITH(ctnn::io::read_idx_images(write(dir / "bad.gz", gz)), Contains("bad.gz"));
}

TEST_CASE("Images and labels must agree in count", "[idx]") {
    TempDir dir;
    const auto im = write(dir / "im", idx_images(4, 2, 2));
    const auto lb = write(dir / "lb", idx_labels({1, 2, 3}));
    CHECK_THROWS_WITH(ctnn::io::read_idx_dataset(im, lb, 4, 10),
                      Contains("lb") && Contains("3 labels") && Contains("4 images") && Contains("one label per image"));
}

TEST_CASE("Labels must be below the model's number of classes", "[idx]") {
    TempDir dir;
    const auto im = write(dir / "im", idx_images(3, 2, 2));
    const auto lb = write(dir / "lb", idx_labels({1, 10, 3}));
    CHECK_THROWS_WITH(ctnn::io::read_idx_dataset(im, lb, 4, 10), Contains("'" + lb.string() + "'") &&
                                                                      Contains("label 10 at index 1") &&
                                                                      Contains("expected 0 to 9"));
    CHECK_NOTHROW(ctnn::io::read_idx_dataset(im, lb, 4, 11));
}

TEST_CASE("Image dimensions must match the model's input", "[idx]") {
    TempDir dir;
    const auto im = write(dir / "im", idx_images(2, 32, 32));
    const auto lb = write(dir / "lb", idx_labels({1, 2}));
    CHECK_THROWS_WITH(ctnn::io::read_idx_dataset(im, lb, 784, 10),
                      Contains("'" + im.string() + "'") && Contains("32x32 = 1024") && Contains("expected 784"));
    CHECK_THROWS_WITH(ctnn::io::read_idx_images(write(dir / "zero", idx_images(2, 0, 28))),
                      Contains("zero") && Contains("0x28"));
}

TEST_CASE("A missing file is an io::Error naming it", "[idx]") {
    TempDir dir;
    CHECK_THROWS_WITH(ctnn::io::read_idx_images(dir / "nope"), Contains("nope") && Contains("no such file"));
}

TEST_CASE("find_idx_file takes the plain name or .gz, read_idx_folder reads an MNIST-layout split", "[idx]") {
    TempDir dir;
    write_gz(dir / "t10k-images-idx3-ubyte.gz", idx_images(2, 28, 28));
    write(dir / "t10k-labels-idx1-ubyte", idx_labels({3, 4}));
    CHECK(ctnn::io::find_idx_file(dir.path, "t10k-images-idx3-ubyte") == dir / "t10k-images-idx3-ubyte.gz");
    CHECK(ctnn::io::find_idx_file(dir.path, "t10k-labels-idx1-ubyte") == dir / "t10k-labels-idx1-ubyte");
    const auto ds = ctnn::io::read_idx_folder(dir.path, "t10k", 784, 10);
    CHECK(ds.size() == 2);
    CHECK(ds.labels.labels == Bytes{3, 4});
    CHECK_THROWS_WITH(ctnn::io::read_idx_folder(dir.path, "train", 784, 10),
                      Contains("train-images-idx3-ubyte") && Contains(".gz"));
}
