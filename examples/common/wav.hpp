#pragma once
// wav: reading and writing WAV files for the audio example. Header-only, standard library only:
// a WAV file is a small RIFF container, and a reader of our own (rather than libsndfile) keeps
// the example free of a dependency a fresh Debian machine lacks, and lets the tests feed it
// broken files. Reads PCM 8, 16, 24 and 32-bit integer and 32 and 64-bit float (WAVE_FORMAT_PCM,
// IEEE_FLOAT and EXTENSIBLE with those subformats), any channel count; writes 32-bit float.
// Errors are exceptions (wav::Error) naming the file and what is wrong.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace wav {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Audio {
    unsigned sample_rate = 48000;
    unsigned channels = 1;
    std::vector<float> samples;  // interleaved: frame f, channel c at f * channels + c
    std::size_t frames() const noexcept { return channels ? samples.size() / channels : 0; }
    /// Channel c alone.
    std::vector<float> channel(unsigned c) const {
        std::vector<float> out(frames());
        for (std::size_t f = 0; f < out.size(); ++f) out[f] = samples[f * channels + c];
        return out;
    }
};

namespace detail {
inline std::uint32_t le32(const unsigned char* p) noexcept {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
inline std::uint16_t le16(const unsigned char* p) noexcept { return std::uint16_t(p[0] | p[1] << 8); }
inline void put32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xFF);
}
inline void put16(std::string& s, std::uint16_t v) {
    s += char(v & 0xFF);
    s += char(v >> 8);
}
}  // namespace detail

/// Parses a WAV file's bytes; `name` is used in messages.
inline Audio parse(const std::vector<unsigned char>& b, const std::string& name) {
    using detail::le16, detail::le32;
    const auto fail = [&](const std::string& why) { return Error(name + ": " + why); };
    if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0)
        throw fail("not a WAV file (no RIFF/WAVE header)");
    unsigned format = 0, channels = 0, rate = 0, bits = 0;
    bool have_fmt = false;
    const unsigned char* data = nullptr;
    std::size_t data_size = 0;
    for (std::size_t at = 12; at + 8 <= b.size();) {
        const std::uint32_t size = le32(b.data() + at + 4);
        if (size > b.size() - at - 8) throw fail("chunk '" + std::string(b.begin() + at, b.begin() + at + 4) +
                                                 "' runs past the end of the file (truncated?)");
        const unsigned char* body = b.data() + at + 8;
        if (std::memcmp(b.data() + at, "fmt ", 4) == 0) {
            if (size < 16) throw fail("fmt chunk too short");
            format = le16(body), channels = le16(body + 2), rate = le32(body + 4), bits = le16(body + 14);
            if (format == 0xFFFE) {  // WAVE_FORMAT_EXTENSIBLE: the subformat's first two bytes
                if (size < 40) throw fail("extensible fmt chunk too short");
                format = le16(body + 24);
            }
            have_fmt = true;
        } else if (std::memcmp(b.data() + at, "data", 4) == 0) {
            data = body, data_size = size;
        }
        at += 8 + size + (size & 1);  // chunks are padded to even sizes
    }
    if (!have_fmt) throw fail("no fmt chunk");
    if (!data) throw fail("no data chunk");
    if (channels == 0 || rate == 0) throw fail("zero channels or sample rate");
    const bool pcm = format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32);
    const bool ieee = format == 3 && (bits == 32 || bits == 64);
    if (!pcm && !ieee)
        throw fail("unsupported sample format " + std::to_string(format) + " with " + std::to_string(bits) +
                   " bits (PCM 8/16/24/32-bit and float 32/64-bit are read)");
    const std::size_t bytes = bits / 8, frame = bytes * channels;
    if (data_size % frame != 0) throw fail("data is not a whole number of frames (truncated?)");
    Audio a;
    a.sample_rate = rate, a.channels = channels;
    a.samples.resize(data_size / bytes);
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        const unsigned char* p = data + i * bytes;
        float v = 0;
        if (ieee && bits == 32) {
            const std::uint32_t u = le32(p);
            std::memcpy(&v, &u, 4);
        } else if (ieee) {
            const std::uint64_t u = std::uint64_t(le32(p)) | std::uint64_t(le32(p + 4)) << 32;
            double d;
            std::memcpy(&d, &u, 8);
            v = float(d);
        } else if (bits == 8) {
            v = (float(p[0]) - 128.0f) / 128.0f;
        } else if (bits == 16) {
            v = float(std::int16_t(le16(p))) / 32768.0f;
        } else if (bits == 24) {
            const std::int32_t s = std::int32_t(std::uint32_t(p[0]) << 8 | std::uint32_t(p[1]) << 16 |
                                                std::uint32_t(p[2]) << 24) >> 8;
            v = float(s) / 8388608.0f;
        } else {
            v = float(double(std::int32_t(le32(p))) / 2147483648.0);
        }
        if (!(v == v)) throw fail("sample " + std::to_string(i) + " is NaN");
        a.samples[i] = v;
    }
    return a;
}

inline Audio read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open");
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse(bytes, path);
}

/// The bytes of a 32-bit float WAV file of `a`.
inline std::string serialize(const Audio& a) {
    const std::uint32_t data_size = std::uint32_t(a.samples.size() * 4);
    std::string s = "RIFF";
    detail::put32(s, 36 + data_size);
    s += "WAVEfmt ";
    detail::put32(s, 16);
    detail::put16(s, 3);  // IEEE float
    detail::put16(s, std::uint16_t(a.channels));
    detail::put32(s, a.sample_rate);
    detail::put32(s, a.sample_rate * a.channels * 4);
    detail::put16(s, std::uint16_t(a.channels * 4));
    detail::put16(s, 32);
    s += "data";
    detail::put32(s, data_size);
    for (const float v : a.samples) {
        std::uint32_t u;
        std::memcpy(&u, &v, 4);
        detail::put32(s, u);
    }
    return s;
}

inline void write(const std::string& path, const Audio& a) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const std::string bytes = serialize(a);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) throw Error(path + ": cannot write");
}

}  // namespace wav
