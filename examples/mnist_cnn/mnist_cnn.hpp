#pragma once
// The MNIST CNN example's networks and options, shared by its command line (mnist_cnn.cpp) and
// run<Net>, which run_cnn.cpp compiles once per network (CMakeLists.txt), in parallel: each
// translation unit holds one network's training, evaluation and I/O.
#include "mnist.hpp"

namespace mnist_cnn {

using LeNet = ctnn::Seq<ctnn::Input<1, 28, 28>,
                        ctnn::Conv2D<1, 6, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>,   // 6 x 24 x 24 -> 6 x 12 x 12
                        ctnn::Conv2D<6, 16, 5>, ctnn::ReLU, ctnn::MaxPool2D<2>,  // 16 x 8 x 8 -> 16 x 4 x 4
                        ctnn::Flatten,
                        ctnn::Linear<256, 120>, ctnn::ReLU, ctnn::Linear<120, 84>, ctnn::ReLU,
                        ctnn::Linear<84, 10>>;

// The same with BatchNorm after each convolution (which then needs no bias) and Dropout.
using LeNetBatchNorm = ctnn::Seq<ctnn::Input<1, 28, 28>,
                                 ctnn::Conv2D<1, 6, 5, ctnn::NoBias>, ctnn::BatchNorm2d<6>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                                 ctnn::Conv2D<6, 16, 5, ctnn::NoBias>, ctnn::BatchNorm2d<16>, ctnn::ReLU, ctnn::MaxPool2D<2>,
                                 ctnn::Flatten,
                                 ctnn::Linear<256, 120>, ctnn::ReLU, ctnn::Dropout<25>, ctnn::Linear<120, 84>, ctnn::ReLU,
                                 ctnn::Linear<84, 10>>;

using namespace mnist;

struct CnnOptions {
    fs::path data = CTNN_MNIST_DEFAULT_DATA;
    int epochs = 10;
    std::size_t batch = 100;
    float lr = 0.002f;
    bool cosine = true;
    std::uint64_t seed = 777;
    int threads = 1;
    fs::path save, load;
    bool batch_norm = false;
};

/// Trains and evaluates one network type as the options say; returns the exit code.
template <class Net>
int run(const CnnOptions& o, const DataFiles& files, clock_type::time_point program_start);

extern template int run<LeNet>(const CnnOptions&, const DataFiles&, clock_type::time_point);
extern template int run<LeNetBatchNorm>(const CnnOptions&, const DataFiles&, clock_type::time_point);

}  // namespace mnist_cnn
