// The study note's questions, answered with numbers: networks of 2, 5 and 10 hidden layers of 256
// units with Sigmoid, Tanh, ReLU and LeakyReLU, initialised N(0, 1) (the note's recipe) and as
// PyTorch does by default, trained a few epochs on MNIST. Prints a table (test accuracy, the first
// layer's mean |gradient| and its ratio to the last layer's, dead units) and draws SVG charts.
// tools/torch_activations.py prints the same table with PyTorch. Run with --help for the flags.
#include "activations.hpp"
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <thread>
#include "svg_chart.hpp"

namespace activations {
namespace {

namespace fs = std::filesystem;

const char* const activation_names[] = {"sigmoid", "tanh", "relu", "leaky_relu"};
const char* const init_names[] = {"normal", "default"};

struct Options {
    fs::path data = CTNN_MNIST_DEFAULT_DATA, charts = "activations-charts";
    int epochs = 3;
    std::vector<std::size_t> hidden = {2, 5, 10};
    std::vector<std::string> activations = {"sigmoid", "tanh", "relu", "leaky_relu"};
    std::vector<std::string> inits = {"normal", "default"};
    std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    std::uint64_t seed = 777;
    std::size_t window = 30;
};

struct UsageError {
    std::string message;
};

void print_help() {
    std::printf(
        "Usage: activations [FLAGS]\n"
        "Trains MNIST classifiers with H hidden layers of 256 units for each activation and\n"
        "initialisation, prints a table of what their gradients and units do, and draws charts.\n"
        "\n"
        "  --data DIR          MNIST's IDX files (default %s; tools/fetch-mnist.sh fills it)\n"
        "  --epochs N          epochs per network (default 3)\n"
        "  --hidden LIST       hidden layer counts, from 2, 5 and 10 (default 2,5,10)\n"
        "  --activations LIST  from sigmoid, tanh, relu, leaky_relu (default: all four)\n"
        "  --init LIST         from normal (weights N(0, 1), the note's recipe) and default\n"
        "                      (PyTorch's nn.Linear default) (default: both)\n"
        "  --threads N         threads per training batch (default: the machine's cores)\n"
        "  --seed N            initialisation and shuffling (default 777)\n"
        "  --charts DIR        where the SVG charts and results.csv go (default activations-charts)\n"
        "  --window N          batches per point of the per-batch charts (default 30)\n"
        "  --help              this text\n"
        "\n"
        "Columns: test accuracy after the last epoch; the first Linear layer's mean |gradient| on the\n"
        "first batch and over the first epoch; its ratio to the last Linear layer's on the first batch\n"
        "(far below 1: vanishing gradients); in the last epoch, the hidden outputs that were inactive\n"
        "(slope at most 1%% of its largest: ReLU 0, sigmoid and tanh saturated, LeakyReLU negative)\n"
        "and the hidden units inactive for every sample (ReLU: dead units).\n",
        CTNN_MNIST_DEFAULT_DATA);
}

template <class T>
T parse_number(std::string_view flag, std::string_view text) {
    T value{};
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty())
        throw UsageError{std::string(flag) + ": '" + std::string(text) + "' is not a valid number"};
    return value;
}

/// "a,b,c" split, each checked against `valid`.
std::vector<std::string> parse_list(std::string_view flag, std::string_view text, const std::vector<std::string>& valid) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string item(text.substr(0, comma));
        if (std::find(valid.begin(), valid.end(), item) == valid.end()) {
            std::string names;
            for (const auto& v : valid) names += (names.empty() ? "" : ", ") + v;
            throw UsageError{std::string(flag) + ": '" + item + "' is not one of " + names};
        }
        out.push_back(item);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    if (out.empty()) throw UsageError{std::string(flag) + " needs at least one value"};
    return out;
}

std::optional<Options> parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return std::nullopt;
        if (i + 1 >= argc) throw UsageError{std::string(arg) + (arg.starts_with("--") ? " needs a value" : ": not a flag")};
        const std::string_view value = argv[++i];
        if (arg == "--data") {
            o.data = std::string(value);
        } else if (arg == "--charts") {
            o.charts = std::string(value);
        } else if (arg == "--epochs") {
            o.epochs = parse_number<int>(arg, value);
            if (o.epochs < 1) throw UsageError{"--epochs must be 1 or more"};
        } else if (arg == "--hidden") {
            o.hidden.clear();
            for (const auto& h : parse_list(arg, value, {"2", "5", "10"})) o.hidden.push_back(std::stoul(h));
        } else if (arg == "--activations") {
            o.activations = parse_list(arg, value, {std::begin(activation_names), std::end(activation_names)});
        } else if (arg == "--init") {
            o.inits = parse_list(arg, value, {std::begin(init_names), std::end(init_names)});
        } else if (arg == "--threads") {
            o.threads = parse_number<std::size_t>(arg, value);
            if (o.threads < 1) throw UsageError{"--threads must be 1 or more"};
        } else if (arg == "--seed") {
            o.seed = parse_number<std::uint64_t>(arg, value);
        } else if (arg == "--window") {
            o.window = parse_number<std::size_t>(arg, value);
            if (o.window < 1) throw UsageError{"--window must be 1 or more"};
        } else {
            throw UsageError{"unknown flag '" + std::string(arg) + "'"};
        }
    }
    return o;
}

// ---------------------------------------------------------------- running

template <class Activation>
RunResult train_with(std::size_t hidden, const Setup& setup, Init init) {
    switch (hidden) {
        case 2: return train_network<Activation, 2>(setup, init);
        case 5: return train_network<Activation, 5>(setup, init);
        default: return train_network<Activation, 10>(setup, init);
    }
}

RunResult train_one(std::size_t hidden, const std::string& activation, const std::string& init, const Setup& setup) {
    const Init i = init == "normal" ? Init::normal : Init::pytorch_default;
    RunResult r = activation == "sigmoid" ? train_with<ctnn::Sigmoid>(hidden, setup, i)
                  : activation == "tanh"  ? train_with<ctnn::Tanh>(hidden, setup, i)
                  : activation == "relu"  ? train_with<ctnn::ReLU>(hidden, setup, i)
                                          : train_with<ctnn::LeakyReLU>(hidden, setup, i);
    r.activation = activation;
    r.init = init;
    return r;
}

std::string init_label(const std::string& init) { return init == "normal" ? "N(0,1)" : "default"; }

void print_header() {
    std::printf("%6s  %-10s  %-7s  %8s  %10s  %10s  %10s  %8s  %8s\n", "hidden", "activation", "init", "accuracy",
                "|grad| L1", "|grad| L1", "L1/last", "inactive", "dead");
    std::printf("%6s  %-10s  %-7s  %8s  %10s  %10s  %10s  %8s  %8s\n", "layers", "", "", "", "batch 1", "epoch 1",
                "batch 1", "outputs", "units");
}

void print_row(const RunResult& r) {
    std::printf("%6zu  %-10s  %-7s  %8.4f  %10.2e  %10.2e  %10.2e  %7.1f%%  %7.1f%%\n", r.hidden, r.activation.c_str(),
                init_label(r.init).c_str(), r.accuracy, r.first_batch_grad, r.first_epoch_grad, r.first_last_ratio,
                100 * r.inactive, 100 * r.dead);
    std::fflush(stdout);
}

void write_results_csv(const fs::path& path, const std::vector<RunResult>& results) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error(path.string() + ": cannot be written: " + std::strerror(errno));
    std::fprintf(f, "hidden,activation,init,accuracy,first_batch_grad,first_epoch_grad,first_last_ratio,inactive,dead,seconds\n");
    for (const auto& r : results)
        std::fprintf(f, "%zu,%s,%s,%.4f,%.6g,%.6g,%.6g,%.6g,%.6g,%.2f\n", r.hidden, r.activation.c_str(), r.init.c_str(),
                     r.accuracy, r.first_batch_grad, r.first_epoch_grad, r.first_last_ratio, r.inactive, r.dead, r.seconds);
    std::fclose(f);
}

/// The charts of the runs with `hidden` layers: the gradient of every layer (all runs on one
/// chart), then per initialisation the cost, the first layer's gradient and the inactive units
/// during training, one series per activation.
void draw_charts(const fs::path& dir, std::size_t hidden, const std::vector<RunResult>& results) {
    const std::string net = std::to_string(hidden) + " hidden layers of 256", suffix = "_" + std::to_string(hidden);
    std::vector<svg_chart::Series> by_layer;
    for (const auto& r : results) {
        if (r.hidden != hidden) continue;
        std::vector<double> layers;
        for (std::size_t k = 0; k < r.layer_grads.size(); ++k) layers.push_back(double(k + 1));
        by_layer.push_back({r.activation + ", " + init_label(r.init), layers, r.layer_grads});
    }
    if (by_layer.empty()) return;
    svg_chart::write_line_chart(dir / ("gradient_by_layer" + suffix + ".svg"), by_layer,
                                {.title = "Mean |gradient| of each Linear layer's weights, first batch (" + net + ")",
                                 .x_label = "Linear layer (1 = next to the input)",
                                 .y_label = "mean |gradient|",
                                 .log_y = true});
    for (const char* init : init_names) {
        std::vector<svg_chart::Series> cost, grad, dead;
        for (const auto& r : results) {
            if (r.hidden != hidden || r.init != init) continue;
            std::vector<double> epochs, percent;
            for (std::size_t e = 0; e < r.epoch_dead.size(); ++e) epochs.push_back(double(e + 1));
            for (double d : r.epoch_dead) percent.push_back(100 * d);
            cost.push_back({r.activation, r.window_epoch, r.window_cost});
            grad.push_back({r.activation, r.window_epoch, r.window_grad});
            dead.push_back({r.activation, epochs, percent});
        }
        if (cost.empty()) continue;
        const std::string about = " (" + net + ", weights " + (init == std::string("normal") ? "N(0, 1)" : "PyTorch's default") + ")";
        const std::string name = suffix + "_" + init + ".svg";
        svg_chart::write_line_chart(dir / ("cost" + name), cost,
                                    {.title = "Training cost" + about, .x_label = "epoch", .y_label = "cross-entropy", .log_y = true});
        svg_chart::write_line_chart(dir / ("first_layer_gradient" + name), grad,
                                    {.title = "First layer's mean |gradient|" + about,
                                     .x_label = "epoch",
                                     .y_label = "mean |gradient|",
                                     .log_y = true});
        svg_chart::write_line_chart(dir / ("dead_units" + name), dead,
                                    {.title = "Hidden units inactive for a whole epoch" + about,
                                     .x_label = "epoch",
                                     .y_label = "% of hidden units"});
    }
}

}  // namespace
}  // namespace activations

int main(int argc, char** argv) {
    using namespace activations;
    Options o;
    try {
        const auto parsed = parse(argc, argv);
        if (!parsed) {
            print_help();
            return 0;
        }
        o = *parsed;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "activations: %s\nTry 'activations --help'.\n", e.message.c_str());
        return 2;
    }

    ctnn::io::IdxDataset train, test;
    try {
        std::error_code ec;
        fs::create_directories(o.charts, ec);
        if (!fs::is_directory(o.charts))
            throw std::runtime_error("--charts " + o.charts.string() + ": cannot create that folder");
        if (!fs::is_directory(o.data))
            throw std::runtime_error("data folder '" + o.data.string() +
                                     "' not found: run tools/fetch-mnist.sh, or pass --data DIR");
        train = ctnn::io::read_idx_dataset(ctnn::io::find_idx_file(o.data, "train-images-idx3-ubyte"),
                                           ctnn::io::find_idx_file(o.data, "train-labels-idx1-ubyte"), 784, 10);
        test = ctnn::io::read_idx_dataset(ctnn::io::find_idx_file(o.data, "t10k-images-idx3-ubyte"),
                                          ctnn::io::find_idx_file(o.data, "t10k-labels-idx1-ubyte"), 784, 10);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "activations: %s\n", e.what());
        return 1;
    }

    const std::size_t runs = o.hidden.size() * o.activations.size() * o.inits.size();
    std::printf("MNIST, Adam lr 0.001, batches of 100, %d epoch%s per network, %zu thread%s\n\n", o.epochs,
                o.epochs == 1 ? "" : "s", o.threads, o.threads == 1 ? "" : "s");
    print_header();
    std::vector<RunResult> results;
    std::size_t k = 0;
    for (const std::size_t hidden : o.hidden)
        for (const auto& activation : o.activations)
            for (const auto& init : o.inits) {
                char label[96];
                std::snprintf(label, sizeof label, "[%zu/%zu] %zu x %s, %s", ++k, runs, hidden, activation.c_str(),
                              init_label(init).c_str());
                const Setup setup{&train, &test, o.epochs, o.threads, o.seed, o.window, label};
                results.push_back(train_one(hidden, activation, init, setup));
                print_row(results.back());
            }

    try {
        write_results_csv(o.charts / "results.csv", results);
        for (const std::size_t hidden : o.hidden) draw_charts(o.charts, hidden, results);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "activations: %s\n", e.what());
        return 1;
    }
    std::printf("\nCharts and results.csv in %s\n", o.charts.string().c_str());
    return 0;
}
