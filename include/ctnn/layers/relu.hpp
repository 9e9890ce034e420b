#pragma once
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// max(0, x), as torch.nn.ReLU.
struct ReLU : Elementwise<kernels::relu_op> {};
}  // namespace ctnn
