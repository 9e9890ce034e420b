#pragma once
// What the parts of the MNIST example share: options, data files, the network types, and run<Net>,
// the whole run for one network type. run<Net> is compiled once per activation in a translation
// unit of its own (run_model.cpp), so the networks build in parallel and no single
// translation unit carries all of them.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/train/dataset.hpp>
#include <ctnn/train/diagnostics.hpp>
#include <ctnn/train/evaluate.hpp>
#include <ctnn/train/progress.hpp>
#include <ctnn/train/trainer.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#ifndef CTNN_MNIST_DEFAULT_DATA
#define CTNN_MNIST_DEFAULT_DATA "data/mnist"
#endif



namespace mnist {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------- the networks

template <class Activation>
using Mlp = ctnn::Seq<ctnn::Linear<784, 256>, Activation, ctnn::Linear<256, 256>, Activation, ctnn::Linear<256, 10>>;
/// The note's earlier model: one Linear layer and softmax (multinomial logistic regression).
using SoftmaxRegression = ctnn::Seq<ctnn::Linear<784, 10>>;

enum class Model { mlp, linear };
enum class Activation { relu, sigmoid, tanh, leaky_relu };
enum class Init { normal, pytorch_default, xavier };
enum class Optimizer { adam, sgd };

struct Options {
    fs::path data = CTNN_MNIST_DEFAULT_DATA;
    int epochs = 15;
    std::size_t batch = 100;
    float lr = 0.001f;
    Init init = Init::normal;
    Activation activation = Activation::relu;
    Optimizer optimizer = Optimizer::adam;
    std::uint64_t seed = 777;
    int threads = 1;
    fs::path save, load, log;
    bool confusion = false, diagnostics = false, bf16 = false, int8 = false;
    Model model = Model::mlp;
    bool activation_given = false;
    std::string init_name = "normal", activation_name = "relu", optimizer_name = "adam", model_name = "mlp";
};


struct DataFiles {
    fs::path train_images, train_labels, test_images, test_labels;
};

// ---------------------------------------------------------------- command line and data files

/// A bad command line (exit status 2).
struct UsageError {
    std::string message;
};

template <class T>
inline T parse_number(std::string_view flag, std::string_view text) {
    T value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty())
        throw UsageError{std::string(flag) + ": '" + std::string(text) + "' is not a valid number"};
    return value;
}

template <class E>
inline E parse_choice(std::string_view flag, std::string_view text, std::initializer_list<std::pair<const char*, E>> choices,
               std::string& name) {
    std::string valid;
    for (const auto& [n, e] : choices) {
        if (text == n) {
            name = n;
            return e;
        }
        valid += valid.empty() ? "" : ", ";
        valid += n;
    }
    throw UsageError{std::string(flag) + ": '" + std::string(text) + "' is not one of " + valid};
}

/// Finds the four files, or throws UsageError: a wrong --data is a usage problem (exit 2),
/// while a file that is there but wrong is a data problem (exit 1).
inline DataFiles find_data(const fs::path& data, bool need_train) {
    std::error_code ec;
    if (!fs::is_directory(data, ec))
        throw UsageError{"data folder '" + data.string() +
                         "' not found: run tools/fetch-mnist.sh to download MNIST there, or pass --data DIR "
                         "(e.g. --data /usr/share/datasets/fashion-mnist)"};
    try {
        DataFiles f;
        if (need_train) {
            f.train_images = ctnn::io::find_idx_file(data, "train-images-idx3-ubyte");
            f.train_labels = ctnn::io::find_idx_file(data, "train-labels-idx1-ubyte");
        }
        f.test_images = ctnn::io::find_idx_file(data, "t10k-images-idx3-ubyte");
        f.test_labels = ctnn::io::find_idx_file(data, "t10k-labels-idx1-ubyte");
        return f;
    } catch (const ctnn::io::Error& e) {
        throw UsageError{e.what()};
    }
}

/// The IDX files' bytes as a data set: pixels / 255 as features, the byte labels as targets.
inline ctnn::train::ByteImageView view_of(const ctnn::io::IdxDataset& d) {
    return {d.images.pixels, d.labels.labels, d.images.sample_size()};
}

/// --load: weights into `net`. On failure the message goes to stderr after "<program>: " and the
/// exit code is 1; 0 when loaded (or nothing asked).
template <class Net>
int load_weights(const char* program, Net& net, const fs::path& path) {
    if (path.empty()) return 0;
    try {
        ctnn::io::load_safetensors(net, path);
        return 0;
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
}

/// --save: the trained weights with the run's metadata. On failure the message goes to stderr
/// after "<program>: " and the exit code is 1; 0 when saved (or nothing asked).
template <class Net>
int save_weights(const char* program, const Net& net, const fs::path& path, const ctnn::io::Metadata& metadata) {
    if (path.empty()) return 0;
    try {
        ctnn::io::save_safetensors(net, path, metadata);
        return 0;
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
}

/// Python's repr of a float32 widened to double (what PyTorch's accuracy.item() prints):
/// the shortest digits that read back as the same double, e.g. 0.9465000033378601.
inline std::string python_float(float value) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, double(value));
    std::string s(buf, ec == std::errc{} ? end : buf);
    if (s.find_first_of(".en") == std::string::npos) s += ".0";  // 1 -> 1.0, as Python
    return s;
}

inline double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

/// The report's last lines: mean, min and max seconds per epoch (if any ran), then the total.
inline void print_times(const std::vector<double>& epoch_seconds, clock_type::time_point program_start) {
    if (!epoch_seconds.empty()) {
        double sum = 0;
        for (double s : epoch_seconds) sum += s;
        const auto [lo, hi] = std::minmax_element(epoch_seconds.begin(), epoch_seconds.end());
        std::printf("Time per epoch: %.3f s (min %.3f s, max %.3f s)\n", sum / double(epoch_seconds.size()), *lo, *hi);
    }
    std::printf("Total time: %.3f s\n", seconds_since(program_start));
}

/// Trains and evaluates one network type as the options say; returns the exit code.
template <class Net>
int run(const Options& o, const DataFiles& files, clock_type::time_point program_start);

extern template int run<SoftmaxRegression>(const Options&, const DataFiles&, clock_type::time_point);
extern template int run<Mlp<ctnn::ReLU>>(const Options&, const DataFiles&, clock_type::time_point);
extern template int run<Mlp<ctnn::Sigmoid>>(const Options&, const DataFiles&, clock_type::time_point);
extern template int run<Mlp<ctnn::Tanh>>(const Options&, const DataFiles&, clock_type::time_point);
extern template int run<Mlp<ctnn::LeakyReLU>>(const Options&, const DataFiles&, clock_type::time_point);

}  // namespace mnist
