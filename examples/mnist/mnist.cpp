// The study note's MNIST classifier, end to end: 784-256-256-10 with ReLU, weights N(0, 1) and
// PyTorch's default biases, softmax cross-entropy, Adam (lr 0.001), batches of 100 shuffled every
// epoch with the last partial batch dropped, 15 epochs, pixels scaled to [0, 1]. stdout carries
// exactly the note's report (then the wall times); the progress bar goes to stderr, only on a
// terminal. Run with --help for the flags.
#include "mnist.hpp"

namespace mnist {
namespace {

// ---------------------------------------------------------------- command line

void print_help(std::FILE* out) {
    std::fprintf(out,
                 "Usage: mnist [FLAGS]\n"
                 "Trains a 784-256-256-10 classifier on MNIST (or any MNIST-layout IDX folder) and reports\n"
                 "the mean cost per epoch and the test accuracy, as the PyTorch study note does.\n"
                 "\n"
                 "  --data DIR          folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,\n"
                 "                      t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or .gz\n"
                 "                      (default: %s, filled by tools/fetch-mnist.sh;\n"
                 "                      Fashion-MNIST: /usr/share/datasets/fashion-mnist)\n"
                 "  --epochs N          passes over the training set (default 15; 0: evaluate only)\n"
                 "  --batch N           samples per mini-batch; the last partial batch is dropped (default 100)\n"
                 "  --lr X              learning rate (default 0.001; SGD usually wants about 0.1)\n"
                 "  --init KIND         weight initialisation (default normal):\n"
                 "                        normal   weights N(0, 1), biases PyTorch's default (the note's recipe)\n"
                 "                        default  PyTorch's nn.Linear default, U(+-1/sqrt(fan_in))\n"
                 "                        xavier   Xavier/Glorot uniform weights, PyTorch's default biases\n"
                 "  --model KIND        mlp      784-256-256-10 with an activation (default)\n"
                 "                      linear   784-10: one Linear layer and softmax (softmax regression)\n"
                 "  --activation KIND   relu, sigmoid, tanh or leaky_relu (slope 0.01) (default relu; mlp only)\n"
                 "  --optimizer KIND    adam (PyTorch's defaults) or sgd (plain) (default adam)\n"
                 "  --seed N            seeds initialisation and shuffling; a seed reproduces a run (default 777)\n"
                 "  --threads N         threads for training: each batch split across N cores (default 1)\n"
                 "  --save FILE         after training, write the weights as safetensors (PyTorch names\n"
                 "                      0.weight, 0.bias, 2.weight, ...)\n"
                 "  --load FILE         start from these safetensors weights instead of the initialisation\n"
                 "                      (with --epochs 0: evaluate them)\n"
                 "  --confusion         also print the test set's confusion matrix\n"
                 "  --bf16              also evaluate the model in bfloat16 (ctnn::Bf16Model): 'Accuracy bf16: X'\n"
                 "  --int8              also evaluate the model quantised to int8 (ctnn::Int8Model, calibrated on\n"
                 "                      1000 training images): 'Accuracy int8: X'\n"
                 "  --diagnostics       after each epoch, a table per layer on stderr: mean |gradient|, gradient\n"
                 "                      and weight norms, update/weight ratio, inactive and dead units\n"
                 "  --log FILE          write FILE as CSV, one row per epoch: epoch, cost, test accuracy,\n"
                 "                      seconds, then every diagnostic (plot it with the plot example)\n"
                 "  --help              this text\n"
                 "\n"
                 "stdout: one 'Epoch: NNNN cost = X' line per epoch, 'Learning finished', 'Accuracy: X',\n"
                 "then the wall times. stderr: a progress bar when it is a terminal.\n"
                 "Exit status: 0 done, 1 unreadable data or weights, 2 bad flags or missing data folder.\n",
                 CTNN_MNIST_DEFAULT_DATA);
}

/// Returns the options, or nullopt after --help.
std::optional<Options> parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i], value;
        bool has_value = false;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (arg == "--help" || arg == "-h") return std::nullopt;
        if (arg == "--confusion" || arg == "--diagnostics" || arg == "--bf16" || arg == "--int8") {
            (arg == "--confusion" ? o.confusion : arg == "--bf16" ? o.bf16 : arg == "--int8" ? o.int8 : o.diagnostics) = true;
            continue;
        }
        const auto next = [&]() -> std::string_view {
            if (has_value) return value;
            if (i + 1 >= argc) throw UsageError{std::string(arg) + " needs a value"};
            return argv[++i];
        };
        if (arg == "--data") {
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
        } else if (arg == "--init") {
            o.init = parse_choice<Init>(
                arg, next(), {{"normal", Init::normal}, {"default", Init::pytorch_default}, {"xavier", Init::xavier}},
                o.init_name);
        } else if (arg == "--model") {
            o.model = parse_choice<Model>(arg, next(), {{"mlp", Model::mlp}, {"linear", Model::linear}}, o.model_name);
        } else if (arg == "--log") {
            o.log = std::string(next());
        } else if (arg == "--activation") {
            o.activation_given = true;
            o.activation = parse_choice<Activation>(arg, next(),
                                                    {{"relu", Activation::relu},
                                                     {"sigmoid", Activation::sigmoid},
                                                     {"tanh", Activation::tanh},
                                                     {"leaky_relu", Activation::leaky_relu}},
                                                    o.activation_name);
        } else if (arg == "--optimizer") {
            o.optimizer = parse_choice<Optimizer>(arg, next(), {{"adam", Optimizer::adam}, {"sgd", Optimizer::sgd}},
                                                  o.optimizer_name);
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
    if (o.model == Model::linear && o.activation_given)
        throw UsageError{"--activation: the linear model has no activation (use --model mlp)"};
    return o;
}

// ---------------------------------------------------------------- data



}  // namespace
}  // namespace mnist


int main(int argc, char** argv) {
    using namespace mnist;
    const auto program_start = clock_type::now();
    Options o;
    try {
        const auto parsed = parse(argc, argv);
        if (!parsed) {
            print_help(stdout);
            return 0;
        }
        o = *parsed;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "mnist: %s\nTry 'mnist --help'.\n", e.message.c_str());
        return 2;
    }
    // Where the results go is checked before any work: a run must not train for minutes, then
    // fail to save them.
    try {
        for (const fs::path& out : {o.save, o.log})
            if (!out.empty()) ctnn::io::check_writable(out);
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "mnist: %s\n", e.what());
        return 1;
    }
    DataFiles files;
    try {
        files = find_data(o.data, o.epochs > 0);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "mnist: %s\nTry 'mnist --help'.\n", e.message.c_str());
        return 2;
    }

    if (o.model == Model::linear) return run<SoftmaxRegression>(o, files, program_start);
    switch (o.activation) {
        case Activation::relu: return run<Mlp<ctnn::ReLU>>(o, files, program_start);
        case Activation::sigmoid: return run<Mlp<ctnn::Sigmoid>>(o, files, program_start);
        case Activation::tanh: return run<Mlp<ctnn::Tanh>>(o, files, program_start);
        case Activation::leaky_relu: return run<Mlp<ctnn::LeakyReLU>>(o, files, program_start);
    }
    return 2;
}
