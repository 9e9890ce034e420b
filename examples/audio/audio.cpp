// Streams audio through a small dilated Conv1D model one block at a time, as an audio callback
// runs it, writes the result as a WAV file and prints the real-time factor.
//
// The model (receptive field 15 samples) learns an overdrive with memory,
//   effect(x)[t] = tanh(3 (0.7 x[t] + 0.3 x[t - 3])),
// from a few seconds of generated signal (Adam, MSE, windows of 256 samples), unless --model
// gives it weights (a file --save wrote, or one exported from PyTorch). Then the input, a WAV
// file (--in; its first channel) or a generated test signal of plucked tones, runs through a
// ctnn::Stream in blocks of 256 samples. Run with --help for the flags.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include "wav.hpp"

namespace {

constexpr std::size_t window = 256;  // training windows, and the streaming block size
using Amp = ctnn::Seq<ctnn::Input<1, window>,
                      ctnn::Conv1D<1, 8, 3>, ctnn::Tanh,
                      ctnn::Conv1D<8, 8, 3, ctnn::Dilation<2>>, ctnn::Tanh,
                      ctnn::Conv1D<8, 8, 3, ctnn::Dilation<4>>, ctnn::Tanh,
                      ctnn::Conv1D<8, 1, 1>>;
constexpr std::size_t reach = window - Amp::out_size;  // 14: the samples before the first output

struct Options {
    std::string in, out = "audio_out.wav", model, save;
    double seconds = 10;
    int steps = 2000;
    std::uint64_t seed = 1;
};

struct UsageError {
    std::string message;
};

void print_help() {
    std::printf(
        "Usage: audio [FLAGS]\n"
        "Trains a dilated Conv1D model (1-8-8-8-1 channels, kernel 3, dilations 1, 2, 4, tanh) to emulate an\n"
        "overdrive, then streams audio through it in blocks of %zu samples and reports the real-time factor.\n"
        "\n"
        "  --in FILE       a WAV file to process (its first channel; PCM or float); default: a generated\n"
        "                  signal of plucked tones\n"
        "  --seconds N     length of the generated signal (default 10)\n"
        "  --out FILE      where to write the processed audio, 32-bit float WAV (default audio_out.wav)\n"
        "  --model FILE    the model's weights (safetensors) instead of training\n"
        "  --save FILE     after training, write the weights there\n"
        "  --steps N       training steps (default 2000; batches of 32 windows)\n"
        "  --seed N        seeds initialisation and the training signal (default 1)\n"
        "  --help          this text\n"
        "\n"
        "Exit status: 0 done, 1 unreadable or unwritable file, 2 bad flags.\n",
        window);
}

template <class T>
T number(std::string_view flag, const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v))
        throw UsageError{std::string(flag) + ": '" + text + "' is not a number"};
    return T(v);
}

std::optional<Options> parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return std::nullopt;
        if (i + 1 >= argc) throw UsageError{"unknown flag or missing value: '" + std::string(arg) + "'"};
        const std::string value = argv[++i];
        if (arg == "--in") o.in = value;
        else if (arg == "--out") o.out = value;
        else if (arg == "--model") o.model = value;
        else if (arg == "--save") o.save = value;
        else if (arg == "--seconds") o.seconds = number<double>(arg, value);
        else if (arg == "--steps") o.steps = number<int>(arg, value);
        else if (arg == "--seed") o.seed = number<std::uint64_t>(arg, value);
        else throw UsageError{"unknown flag '" + std::string(arg) + "'"};
    }
    if (!(o.seconds > 0 && o.seconds <= 3600)) throw UsageError{"--seconds must be in (0, 3600]"};
    if (o.steps < 0) throw UsageError{"--steps must be 0 or more"};
    return o;
}

/// The effect the model learns: an overdrive of the input and its value 3 samples earlier.
std::vector<float> effect(const std::vector<float>& x) {
    std::vector<float> y(x.size());
    for (std::size_t t = 0; t < x.size(); ++t)
        y[t] = std::tanh(3.0f * (0.7f * x[t] + 0.3f * (t >= 3 ? x[t - 3] : 0.0f)));
    return y;
}

/// Plucked tones: decaying harmonics at random pitches, a new note every quarter second.
std::vector<float> plucks(std::size_t samples, unsigned rate, ctnn::Rng& rng) {
    std::vector<float> x(samples, 0.0f);
    const std::size_t note = rate / 4;
    for (std::size_t start = 0; start < samples; start += note) {
        const double f = 82.0 * std::pow(2.0, rng.uniform(0.0, 3.0)), amp = rng.uniform(0.2, 0.9);
        for (std::size_t t = start; t < samples && t < start + 2 * note; ++t) {
            const double s = double(t - start) / rate, decay = std::exp(-4.0 * s);
            x[t] += float(amp * decay *
                          (std::sin(6.2832 * f * s) + 0.5 * std::sin(12.566 * f * s) + 0.25 * std::sin(18.85 * f * s)) / 1.75);
        }
    }
    return x;
}

void train(Amp& net, const Options& o, ctnn::Rng& rng) {
    constexpr std::size_t batch = 32;
    const auto signal = plucks(48000 * 5, 48000, rng);
    const auto target = effect(signal);
    std::vector<float> x(batch * window), y(batch * Amp::out_size);
    ctnn::optim::Adam<Amp> adam({.lr = 0.005f});
    ctnn::train::StepBuffers<Amp> buffers(batch);
    for (int step = 1; step <= o.steps; ++step) {
        for (std::size_t r = 0; r < batch; ++r) {
            const std::size_t at = std::size_t(rng.uniform(0.0, double(signal.size() - window)));
            std::copy_n(signal.begin() + std::ptrdiff_t(at), window, x.begin() + std::ptrdiff_t(r * window));
            std::copy_n(target.begin() + std::ptrdiff_t(at + reach), Amp::out_size,
                        y.begin() + std::ptrdiff_t(r * Amp::out_size));
        }
        const float loss = ctnn::train::step(net, adam, ctnn::loss::MeanSquaredError{}, x, y, buffers);
        if (step == 1 || step % 500 == 0 || step == o.steps) std::printf("Step %5d  loss %.6f\n", step, double(loss));
    }
}

int run(const Options& o) {
    Amp net;
    ctnn::Rng rng(o.seed);
    ctnn::init::pytorch_default(net, rng);
    try {
        if (!o.save.empty()) ctnn::io::check_writable(o.save);
        if (!o.model.empty()) ctnn::io::load_safetensors(net, o.model);
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "audio: %s\n", e.what());
        return 1;
    }
    if (o.model.empty()) {
        const auto start = std::chrono::steady_clock::now();
        train(net, o, rng);
        std::printf("Training: %.2f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!o.save.empty()) ctnn::io::save_safetensors(net, o.save);
    }

    wav::Audio in;
    try {
        if (!o.in.empty()) in = wav::read(o.in);
        else in.samples = plucks(std::size_t(o.seconds * 48000), 48000, rng);
    } catch (const wav::Error& e) {
        std::fprintf(stderr, "audio: %s\n", e.what());
        return 1;
    }
    const std::vector<float> x = in.channel(0);
    wav::Audio out;
    out.sample_rate = in.sample_rate;
    out.samples.resize(x.size());

    // The callback's work: one block at a time through the stream, nothing allocated.
    ctnn::Stream<Amp> voice;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t at = 0; at < x.size(); at += window) {
        const std::size_t n = std::min(window, x.size() - at);
        voice.process(net, std::span<const float>(x.data() + at, n), std::span<float>(out.samples.data() + at, n));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double duration = double(x.size()) / in.sample_rate;

    const auto wanted = effect(x);
    double error = 0;
    for (std::size_t t = 0; t < x.size(); ++t) error += std::abs(double(out.samples[t]) - wanted[t]);
    try {
        wav::write(o.out, out);
    } catch (const wav::Error& e) {
        std::fprintf(stderr, "audio: %s\n", e.what());
        return 1;
    }
    std::printf("Processed %.2f s of audio (%zu samples at %u Hz) in %.4f s: %.1f ns per sample\n", duration, x.size(),
                in.sample_rate, seconds, seconds / double(x.size()) * 1e9);
    std::printf("Real-time factor: %.5f (%.0fx faster than real time)\n", seconds / duration, duration / seconds);
    std::printf("Mean absolute difference from the effect: %.4f\n", error / double(x.size()));
    std::printf("Wrote %s\n", o.out.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto o = parse(argc, argv);
        if (!o) {
            print_help();
            return 0;
        }
        return run(*o);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "audio: %s\nTry 'audio --help'.\n", e.message.c_str());
        return 2;
    }
}
