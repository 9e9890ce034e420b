// run<Net> for the network named by MNIST_NET (set per object by CMakeLists.txt): the training
// and report of the MNIST example for one network type.
#include "mnist.hpp"

namespace mnist {

// ---------------------------------------------------------------- training and report

template <class Net>
void initialise(Net& net, ctnn::Rng& rng, Init init) {
    switch (init) {
        case Init::normal: ctnn::init::normal(net, rng); break;
        case Init::pytorch_default: ctnn::init::pytorch_default(net, rng); break;
        case Init::xavier: ctnn::init::xavier_uniform(net, rng); break;
    }
}

/// The --log file: a header row, then a row per epoch.
class CsvLog {
public:
    CsvLog() = default;
    void open(const fs::path& path) {
        file_ = std::fopen(path.c_str(), "w");
        if (!file_) throw ctnn::io::Error("ctnn: " + path.string() + ": cannot be written: " + std::strerror(errno));
    }
    CsvLog(const CsvLog&) = delete;
    CsvLog& operator=(const CsvLog&) = delete;
    ~CsvLog() {
        if (file_) std::fclose(file_);
    }
    explicit operator bool() const noexcept { return file_ != nullptr; }

    void row(int epoch, double cost, float accuracy, double seconds, const ctnn::train::DiagnosticsRecord& d) {
        if (epoch == 1) std::fprintf(file_, "epoch,cost,test_accuracy,seconds,%s\n", ctnn::train::diagnostics_csv_header(d).c_str());
        std::fprintf(file_, "%d,%.9g,%.6g,%.4f,%s\n", epoch, cost, double(accuracy), seconds,
                     ctnn::train::diagnostics_csv_values(d).c_str());
        std::fflush(file_);  // a row per epoch, readable while the run goes on
    }

private:
    std::FILE* file_ = nullptr;
};

template <class Net, class Opt>
std::vector<double> train_epochs(Net& net, Opt& optimizer, ctnn::train::ByteImageView data,
                                 ctnn::train::ByteImageView test, const Options& o, ctnn::Rng& rng, CsvLog& log) {
    ctnn::ThreadPool pool(std::size_t(o.threads));  // started once, for the whole run
    // rng continues the initialisation's stream: it orders the samples of every epoch.
    ctnn::train::Trainer trainer(net, optimizer, ctnn::loss::SoftmaxCrossEntropy{}, data, {.batch = o.batch}, rng, &pool);
    ctnn::train::Progress progress;  // stderr, if a terminal
    progress.attach(trainer);
    ctnn::train::Diagnostics<Net> diagnostics;  // attached only if asked for: otherwise free
    if (o.diagnostics || log) diagnostics.attach(trainer);
    std::vector<double> epoch_seconds;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        progress.label("Epoch %04d/%04d", epoch, o.epochs);
        const auto start = clock_type::now();
        const double cost = trainer.run_epoch();
        epoch_seconds.push_back(seconds_since(start));
        std::printf("Epoch: %04d cost = %.9f\n", epoch, cost);
        std::fflush(stdout);
        if (o.diagnostics) ctnn::train::print_diagnostics(stderr, diagnostics.epochs().back());
        if (log) log.row(epoch, cost, ctnn::train::evaluate(net, test).accuracy_f32(), epoch_seconds.back(),
                         diagnostics.epochs().back());
    }
    return epoch_seconds;
}

template <class Net>
int run(const Options& o, const DataFiles& files, clock_type::time_point program_start) {
    CsvLog log;  // main() checked that it can be written
    try {
        if (!o.log.empty()) log.open(o.log);
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "mnist: %s\n", e.what());
        return 1;
    }
    std::optional<ctnn::io::IdxDataset> train_set;
    ctnn::io::IdxDataset test_set;
    try {
        if (o.epochs > 0 || o.int8)
            train_set = ctnn::io::read_idx_dataset(files.train_images, files.train_labels, Net::in_size, Net::out_size);
        test_set = ctnn::io::read_idx_dataset(files.test_images, files.test_labels, Net::in_size, Net::out_size);
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "mnist: %s\n", e.what());
        return 1;
    }
    if (train_set && train_set->size() < o.batch) {
        std::fprintf(stderr, "mnist: --batch %zu is larger than the %zu training samples\n", o.batch, train_set->size());
        return 2;
    }

    Net net;
    ctnn::Rng rng(o.seed);
    initialise(net, rng, o.init);  // also with --load: keeps the shuffling stream independent of it
    if (load_weights("mnist", net, o.load) != 0) return 1;

    std::vector<double> epoch_seconds;
    if (o.epochs > 0) {
        const auto data = view_of(*train_set);
        if (o.optimizer == Optimizer::adam) {
            ctnn::optim::Adam<Net> adam({.lr = o.lr});
            epoch_seconds = train_epochs(net, adam, data, view_of(test_set), o, rng, log);
        } else {
            ctnn::optim::Sgd<Net> sgd({.lr = o.lr});
            epoch_seconds = train_epochs(net, sgd, data, view_of(test_set), o, rng, log);
        }
        std::printf("Learning finished\n");
    }

    const auto eval = ctnn::train::evaluate(net, view_of(test_set));
    std::printf("Accuracy: %s\n", python_float(eval.accuracy_f32()).c_str());
    if (o.confusion) ctnn::train::print_confusion(stdout, eval);
    if (o.bf16) {  // the same weights rounded to bfloat16, products in bf16 with fp32 sums
        const ctnn::Bf16Model<Net> half(net);
        const auto eval16 = ctnn::train::evaluate(half, view_of(test_set));
        std::printf("Accuracy bf16: %s\n", python_float(eval16.accuracy_f32()).c_str());
    }
    if (o.int8) {  // int8 weights per output, inputs quantised as the first 1000 training images range
        const auto images = view_of(*train_set);
        const std::size_t n = std::min<std::size_t>(1000, images.size());
        std::vector<float> calibration(n * Net::in_size);
        std::vector<std::uint8_t> label(images.target_size());
        for (std::size_t i = 0; i < n; ++i)
            images.read(i, std::span(calibration).subspan(i * Net::in_size, Net::in_size), label);
        const ctnn::Int8Model<Net> quantised(net, calibration);
        const auto eval8 = ctnn::train::evaluate(quantised, view_of(test_set));
        std::printf("Accuracy int8: %s\n", python_float(eval8.accuracy_f32()).c_str());
    }

    if (save_weights("mnist", net, o.save,
                     {{"ctnn.example", "mnist"},
                      {"model", o.model_name},
                      {"activation", o.model == Model::linear ? "none" : o.activation_name},
                      {"init", o.init_name},
                      {"optimizer", o.optimizer_name},
                      {"epochs", std::to_string(o.epochs)},
                      {"seed", std::to_string(o.seed)},
                      {"test_accuracy", python_float(eval.accuracy_f32())}}) != 0)
        return 1;

    print_times(epoch_seconds, program_start);
    return 0;
}


template int run<MNIST_NET>(const Options&, const DataFiles&, clock_type::time_point);

}  // namespace mnist
