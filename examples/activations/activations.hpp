#pragma once
// What the parts of the activations example share: the networks (H hidden layers of 256 units),
// the options, and train_network<Activation, H>, the training and measurement of one network,
// compiled once per activation in a translation unit of its own (run_activation.cpp).
#include <ctnn/ctnn.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/train/diagnostics.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace activations {

/// 784 -> 256, then Hidden - 1 more 256 -> 256 layers, each followed by Activation, then 256 -> 10.
template <class Activation, std::size_t Remaining, class... Layers>
struct DeepMlp : DeepMlp<Activation, Remaining - 1, Layers..., ctnn::Linear<256, 256>, Activation> {};
template <class Activation, class... Layers>
struct DeepMlp<Activation, 0, Layers...> {
    using type = ctnn::Seq<ctnn::Linear<784, 256>, Activation, Layers..., ctnn::Linear<256, 10>>;
};
template <class Activation, std::size_t Hidden>
using Mlp = typename DeepMlp<Activation, Hidden - 1>::type;

static_assert(Mlp<ctnn::ReLU, 2>::depth == 5);  // the study note's network
static_assert(std::is_same_v<Mlp<ctnn::ReLU, 2>, ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 256>,
                                                          ctnn::ReLU, ctnn::Linear<256, 10>>>);

inline constexpr std::size_t depths[] = {2, 5, 10};  // hidden layers compiled in
enum class Init { normal, pytorch_default };

struct Setup {
    const ctnn::io::IdxDataset* train;
    const ctnn::io::IdxDataset* test;
    int epochs = 3;
    std::size_t threads = 1;
    std::uint64_t seed = 777;
    std::size_t window = 30;  // batches per point of the per-batch charts
    std::string label;        // progress bar text: which run of how many
};

/// One network's figures.
struct RunResult {
    std::size_t hidden = 0;
    std::string activation, init;
    double accuracy = 0;            // test set, after the last epoch
    double first_batch_grad = 0;    // first Linear's mean |gradient| on the first batch
    double first_epoch_grad = 0;    // the same, averaged over the first epoch's batches
    double first_last_ratio = 0;    // first Linear's over the last Linear's, first batch
    double inactive = 0;            // hidden outputs inactive (slope near 0) in the last epoch
    double dead = 0;                // hidden units inactive for every sample of the last epoch
    double seconds = 0;
    std::vector<double> layer_grads;              // each Linear's mean |gradient|, first batch
    std::vector<double> window_epoch, window_cost, window_grad;  // per window of batches
    std::vector<double> epoch_dead;               // per epoch
};

template <class Activation, std::size_t Hidden>
RunResult train_network(const Setup& setup, Init init);

#define ACTIVATIONS_DECLARE(Activation)                                                                   \
    extern template RunResult train_network<Activation, 2>(const Setup&, Init);                         \
    extern template RunResult train_network<Activation, 5>(const Setup&, Init);                         \
    extern template RunResult train_network<Activation, 10>(const Setup&, Init);
ACTIVATIONS_DECLARE(ctnn::Sigmoid)
ACTIVATIONS_DECLARE(ctnn::Tanh)
ACTIVATIONS_DECLARE(ctnn::ReLU)
ACTIVATIONS_DECLARE(ctnn::LeakyReLU)
#undef ACTIVATIONS_DECLARE

}  // namespace activations
