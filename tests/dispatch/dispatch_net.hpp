#pragma once
#include <ctnn/ctnn.hpp>
using DispatchNet = ctnn::Seq<ctnn::Linear<37, 64>, ctnn::Tanh, ctnn::Linear<64, 19>, ctnn::ReLU, ctnn::Linear<19, 5>>;
