// LeNet-5 on MNIST (or Fashion-MNIST): two 5x5 convolutions with ReLU and 2x2 max pooling, then
// three Linear layers; PyTorch's default initialisation, softmax cross-entropy, Adam (lr 0.002,
// annealed to 0 along a half cosine), shuffled batches of 100, 10 epochs: about 99.15% on the test
// set (docs/cnn.md gives the figures for several seeds). `--model bn` adds batch normalisation
// after each convolution and dropout before the classifier, and evaluates with the BatchNorms
// folded into the convolutions. The report is the MNIST example's: a cost line per epoch,
// 'Accuracy: X', then the wall times. Run with --help for the flags. This file is the command
// line; the networks are declared in mnist_cnn.hpp, and run_cnn.cpp trains and evaluates one.
#include "mnist_cnn.hpp"

namespace mnist_cnn {

void print_help(std::FILE* out) {
    std::fprintf(out,
                 "Usage: mnist_cnn [FLAGS]\n"
                 "Trains LeNet-5 (conv 5x5 x6, ReLU, max-pool 2, conv 5x5 x16, ReLU, max-pool 2, Linear 256-120-84-10)\n"
                 "on MNIST with Adam and reports the mean cost per epoch and the test accuracy.\n"
                 "\n"
                 "  --model M       lenet (default), or bn: BatchNorm after each convolution, Dropout(0.25)\n"
                 "                  before the second Linear, evaluated with the BatchNorms folded\n"
                 "  --data DIR      folder with the four MNIST-layout IDX files, plain or .gz (default: %s,\n"
                 "                  filled by tools/fetch-mnist.sh; Fashion-MNIST: /usr/share/datasets/fashion-mnist)\n"
                 "  --epochs N      passes over the training set (default 10; 0: evaluate only)\n"
                 "  --batch N       samples per mini-batch; the last partial batch is dropped (default 100)\n"
                 "  --lr X          Adam's learning rate (default 0.002)\n"
                 "  --schedule S    cosine: the rate falls along a half cosine to 0 over the epochs (default);\n"
                 "                  constant: it stays at --lr\n"
                 "  --seed N        seeds initialisation and shuffling; a seed reproduces a run (default 777)\n"
                 "  --threads N     threads for training: each batch split across N cores (default 1)\n"
                 "  --save FILE     after training, write the weights as safetensors (PyTorch names 0.weight, ...)\n"
                 "  --load FILE     start from these safetensors weights (with --epochs 0: evaluate them)\n"
                 "  --help          this text\n"
                 "\n"
                 "stdout: one 'Epoch: NNNN cost = X' line per epoch, 'Learning finished', 'Accuracy: X',\n"
                 "then the wall times. stderr: a progress bar when it is a terminal.\n"
                 "Exit status: 0 done, 1 unreadable data or weights, 2 bad flags or missing data folder.\n",
                 CTNN_MNIST_DEFAULT_DATA);
}

std::optional<CnnOptions> parse(int argc, char** argv) {
    CnnOptions o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i], value;
        bool has_value = false;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (arg == "--help" || arg == "-h") return std::nullopt;
        const auto next = [&]() -> std::string_view {
            if (has_value) return value;
            if (i + 1 >= argc) throw UsageError{std::string(arg) + " needs a value"};
            return argv[++i];
        };
        if (arg == "--model") {
            std::string name;
            o.batch_norm = parse_choice<bool>(arg, next(), {{"lenet", false}, {"bn", true}}, name);
        } else if (arg == "--data") {
            o.data = std::string(next());
        } else if (arg == "--epochs") {
            o.epochs = parse_number<int>(arg, next());
            if (o.epochs < 0) throw UsageError{"--epochs must be 0 or more"};
        } else if (arg == "--batch") {
            o.batch = parse_number<std::size_t>(arg, next());
            if (o.batch == 0 || o.batch > 60000) throw UsageError{"--batch must be between 1 and 60000"};
        } else if (arg == "--lr") {
            o.lr = parse_number<float>(arg, next());
            if (!(o.lr > 0.0f) || !std::isfinite(o.lr)) throw UsageError{"--lr must be a positive number"};
        } else if (arg == "--schedule") {
            std::string name;
            o.cosine = parse_choice<bool>(arg, next(), {{"cosine", true}, {"constant", false}}, name);
        } else if (arg == "--seed") {
            o.seed = parse_number<std::uint64_t>(arg, next());
        } else if (arg == "--threads") {
            o.threads = parse_number<int>(arg, next());
            if (o.threads < 1) throw UsageError{"--threads must be 1 or more"};
        } else if (arg == "--save") {
            o.save = std::string(next());
        } else if (arg == "--load") {
            o.load = std::string(next());
        } else {
            throw UsageError{"unknown flag '" + std::string(argv[i]) + "'"};
        }
    }
    return o;
}

}  // namespace mnist_cnn

int main(int argc, char** argv) {
    using namespace mnist_cnn;
    const auto program_start = clock_type::now();
    CnnOptions o;
    try {
        const auto parsed = parse(argc, argv);
        if (!parsed) {
            print_help(stdout);
            return 0;
        }
        o = *parsed;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "mnist_cnn: %s\nTry 'mnist_cnn --help'.\n", e.message.c_str());
        return 2;
    }
    try {
        if (!o.save.empty()) ctnn::io::check_writable(o.save);  // before any work
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "mnist_cnn: %s\n", e.what());
        return 1;
    }
    DataFiles files;
    try {
        files = find_data(o.data, o.epochs > 0);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "mnist_cnn: %s\nTry 'mnist_cnn --help'.\n", e.message.c_str());
        return 2;
    }
    return o.batch_norm ? run<LeNetBatchNorm>(o, files, program_start) : run<LeNet>(o, files, program_start);
}
