// run<Net> for the network named by MNIST_CNN_NET (set per object by CMakeLists.txt): the
// training, evaluation and report of the MNIST CNN example for one network type.
#include "mnist_cnn.hpp"

namespace mnist_cnn {

template <class Net>
int run(const CnnOptions& o, const DataFiles& files, clock_type::time_point program_start) {
    std::optional<ctnn::io::IdxDataset> train_set;
    ctnn::io::IdxDataset test_set;
    try {
        if (o.epochs > 0)
            train_set = ctnn::io::read_idx_dataset(files.train_images, files.train_labels, Net::in_size, Net::out_size);
        test_set = ctnn::io::read_idx_dataset(files.test_images, files.test_labels, Net::in_size, Net::out_size);
    } catch (const ctnn::io::Error& e) {
        std::fprintf(stderr, "mnist_cnn: %s\n", e.what());
        return 1;
    }
    if (train_set && train_set->size() < o.batch) {
        std::fprintf(stderr, "mnist_cnn: --batch %zu is larger than the %zu training samples\n", o.batch,
                     train_set->size());
        return 2;
    }

    Net net;
    ctnn::Rng rng(o.seed);
    ctnn::init::pytorch_default(net, rng);
    if (load_weights("mnist_cnn", net, o.load) != 0) return 1;

    std::vector<double> epoch_seconds;
    if (o.epochs > 0) {
        ctnn::optim::Adam<Net> adam({.lr = o.lr});
        ctnn::ThreadPool pool(std::size_t(o.threads));
        ctnn::train::Trainer trainer(net, adam, ctnn::loss::SoftmaxCrossEntropy{}, view_of(*train_set),
                                     {.batch = o.batch}, rng, &pool);
        if (o.cosine) trainer.set_lr_schedule(ctnn::optim::CosineLr{.t_max = std::size_t(o.epochs)});
        ctnn::train::Progress progress;  // stderr, if a terminal
        progress.attach(trainer);
        for (int epoch = 1; epoch <= o.epochs; ++epoch) {
            progress.label("Epoch %04d/%04d", epoch, o.epochs);
            const auto start = clock_type::now();
            const double cost = trainer.run_epoch();
            epoch_seconds.push_back(seconds_since(start));
            std::printf("Epoch: %04d cost = %.9f\n", epoch, cost);
            std::fflush(stdout);
        }
        std::printf("Learning finished\n");
    }

    // Inference uses the running statistics; folded into the convolutions they cost nothing.
    const auto eval = [&] {
        if constexpr (Net::has_running_statistics) return ctnn::train::evaluate(ctnn::fold_batch_norm(net), view_of(test_set));
        else return ctnn::train::evaluate(net, view_of(test_set));
    }();
    std::printf("Accuracy: %s\n", python_float(eval.accuracy_f32()).c_str());

    if (save_weights("mnist_cnn", net, o.save,
                     {{"ctnn.example", "mnist_cnn"},
                      {"epochs", std::to_string(o.epochs)},
                      {"seed", std::to_string(o.seed)},
                      {"test_accuracy", python_float(eval.accuracy_f32())}}) != 0)
        return 1;
    print_times(epoch_seconds, program_start);
    return 0;
}

template int run<MNIST_CNN_NET>(const CnnOptions&, const DataFiles&, clock_type::time_point);

}  // namespace mnist_cnn
