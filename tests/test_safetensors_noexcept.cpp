// The no-throw safetensors loader in a program built with -fno-exceptions, as real-time and
// embedded code often is: it must compile, load a good file and report a bad one. Plain main,
// since Catch2 needs exceptions.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <cstdio>
#include <memory>
#include <vector>

#if defined(__cpp_exceptions)
#error "this test must be built with -fno-exceptions"
#endif

using Small = ctnn::Seq<ctnn::Linear<13, 17>, ctnn::Tanh, ctnn::Linear<17, 5>>;

int main() {
    auto net = std::make_unique<Small>();
    const auto file = std::string(CTNN_TEST_DATA_DIR) + "/torch_export_small.safetensors";
    const ctnn::io::LoadResult ok = ctnn::io::try_load_safetensors(*net, file);
    if (!ok) {
        std::printf("FAIL: %s\n", ok.message.c_str());
        return 1;
    }
    const std::vector<std::byte> junk(16, std::byte{0xFF});
    const ctnn::io::LoadResult bad = ctnn::io::try_load_safetensors(*net, std::span<const std::byte>(junk), "junk");
    if (bad.ok() || bad.kind != ctnn::io::LoadErrorKind::header_too_big) {
        std::printf("FAIL: junk was not refused as expected: %s\n", bad.message.c_str());
        return 1;
    }
    std::printf("ok: %s\n", bad.message.c_str());
    return 0;
}
