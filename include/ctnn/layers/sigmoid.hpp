#pragma once
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// 1 / (1 + e^-x), as torch.nn.Sigmoid.
struct Sigmoid : Elementwise<kernels::sigmoid_op> {};
}  // namespace ctnn
