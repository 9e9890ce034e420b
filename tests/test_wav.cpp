// The audio example's WAV reader and writer (examples/common/wav.hpp): round trips, the integer
// formats, extensible headers, odd chunks, and broken files refused with the file named.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>
#include "wav.hpp"

namespace {
std::vector<unsigned char> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

/// A WAV file with the given format tag and bits, `payload` as the data chunk, and an extra
/// odd-sized chunk before it.
std::string handmade(std::uint16_t format, std::uint16_t bits, std::uint16_t channels, const std::string& payload) {
    std::string s = "RIFF";
    wav::detail::put32(s, 0);  // readers ignore the RIFF size
    s += "WAVE";
    s += "LIST";
    wav::detail::put32(s, 3);
    s += "abc";
    s += '\0';  // padding to an even size
    s += "fmt ";
    wav::detail::put32(s, 16);
    wav::detail::put16(s, format);
    wav::detail::put16(s, channels);
    wav::detail::put32(s, 44100);
    wav::detail::put32(s, 44100 * channels * bits / 8);
    wav::detail::put16(s, std::uint16_t(channels * bits / 8));
    wav::detail::put16(s, bits);
    s += "data";
    wav::detail::put32(s, std::uint32_t(payload.size()));
    return s + payload;
}
}  // namespace

TEST_CASE("a float WAV file round trips exactly", "[wav]") {
    wav::Audio a;
    a.sample_rate = 48000, a.channels = 2;
    a.samples = {0.0f, -1.0f, 0.5f, 0.25f, 1e-7f, -0.75f};
    const auto b = wav::parse(bytes_of(wav::serialize(a)), "x.wav");
    REQUIRE(b.sample_rate == 48000);
    REQUIRE(b.channels == 2);
    REQUIRE(b.samples == a.samples);
    REQUIRE(b.channel(1) == std::vector<float>{-1.0f, 0.25f, -0.75f});
}

TEST_CASE("16 and 24-bit PCM read as values from -1 to 1, after an odd chunk", "[wav]") {
    std::string p16;
    for (std::int16_t v : {std::int16_t(0), std::int16_t(-32768), std::int16_t(16384)}) wav::detail::put16(p16, std::uint16_t(v));
    const auto a = wav::parse(bytes_of(handmade(1, 16, 1, p16)), "a.wav");
    REQUIRE(a.samples == std::vector<float>{0.0f, -1.0f, 0.5f});
    REQUIRE(a.sample_rate == 44100);
    const std::string p24 = std::string("\x00\x00\x40", 3) + std::string("\x00\x00\xC0", 3);  // 0.5, -0.5
    REQUIRE(wav::parse(bytes_of(handmade(1, 24, 1, p24)), "b.wav").samples == std::vector<float>{0.5f, -0.5f});
}

TEST_CASE("broken WAV files are refused with the file and the reason", "[wav]") {
    using Catch::Matchers::Contains;
    REQUIRE_THROWS_WITH(wav::parse(bytes_of("RIFF1234WAVX"), "c.wav"), Contains("c.wav: not a WAV file"));
    std::string p16;
    wav::detail::put16(p16, 1);
    wav::detail::put16(p16, 2);
    std::string truncated = handmade(1, 16, 1, p16);
    truncated.resize(truncated.size() - 1);
    REQUIRE_THROWS_WITH(wav::parse(bytes_of(truncated), "d.wav"), Contains("d.wav: chunk 'data' runs past the end"));
    REQUIRE_THROWS_WITH(wav::parse(bytes_of(handmade(2, 4, 1, p16)), "e.wav"), Contains("unsupported sample format 2"));
    REQUIRE_THROWS_WITH(wav::parse(bytes_of(handmade(1, 16, 2, p16.substr(0, 2))), "f.wav"),
                        Contains("not a whole number of frames"));
    REQUIRE_THROWS_WITH(wav::read("/nonexistent/ctnn.wav"), Contains("/nonexistent/ctnn.wav: cannot open"));
}
