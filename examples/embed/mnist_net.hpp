#pragma once
#include <ctnn/ctnn.hpp>
// The study note's network: the one examples/mnist trains with --activation relu.
using MnistNet = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::ReLU, ctnn::Linear<256, 256>, ctnn::ReLU, ctnn::Linear<256, 10>>;
