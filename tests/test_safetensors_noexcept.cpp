// The no-throw safetensors loader and saver in a program built with -fno-exceptions, as
// real-time and embedded code often is: they must compile, load a good file, report a bad one,
// and save a model that loads back. Plain main, since Catch2 needs exceptions.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#if defined(__cpp_exceptions)
#error "this test must be built with -fno-exceptions"
#endif

using Small = ctnn::Seq<ctnn::Linear<13, 17>, ctnn::Tanh, ctnn::Linear<17, 5>>;

namespace {

int fail(const char* what, const std::string& message) {
    std::printf("FAIL: %s: %s\n", what, message.c_str());
    return 1;
}

}  // namespace

int main() {
    auto net = std::make_unique<Small>();
    const auto file = std::string(CTNN_TEST_DATA_DIR) + "/torch_export_small.safetensors";
    const ctnn::io::LoadResult ok = ctnn::io::try_load_safetensors(*net, file);
    if (!ok) return fail("the fixture did not load", ok.message);

    const std::vector<std::byte> junk(16, std::byte{0xFF});
    const ctnn::io::LoadResult bad = ctnn::io::try_load_safetensors(*net, std::span<const std::byte>(junk), "junk");
    if (bad.ok() || bad.kind != ctnn::io::LoadErrorKind::header_too_big)
        return fail("junk was not refused as expected", bad.message);

    std::error_code ec;
    const auto dir = std::filesystem::temp_directory_path(ec) / ("ctnn_noexcept_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir, ec);
    const auto saved = dir / "small.safetensors";
    const ctnn::io::SaveResult written = ctnn::io::try_save_safetensors(*net, saved, {{"by", "noexcept test"}});
    if (!written) return fail("saving failed", written.message);
    auto back = std::make_unique<Small>();
    const ctnn::io::LoadResult reloaded = ctnn::io::try_load_safetensors(*back, saved);
    std::filesystem::remove_all(dir, ec);
    if (!reloaded) return fail("the saved file did not load", reloaded.message);
    for (std::size_t i = 0; i < Small::parameter_block_size; ++i)
        if (back->parameters()[i] != net->parameters()[i]) return fail("the saved file loaded other weights", "");

    const ctnn::io::SaveResult refused = ctnn::io::try_save_safetensors(*net, dir / "no" / "dir.safetensors");
    if (refused.ok() || refused.kind != ctnn::io::SaveErrorKind::file)
        return fail("an unwritable path was not refused as expected", refused.message);
    std::printf("ok: %s\n%s\n", bad.message.c_str(), refused.message.c_str());
    return 0;
}
