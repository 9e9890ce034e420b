#pragma once
#include <ctnn/ctnn.hpp>
using ConsumerNet = ctnn::Seq<ctnn::Linear<4, 8>, ctnn::Sigmoid, ctnn::Linear<8, 3>>;
