#pragma once
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// Hyperbolic tangent, as torch.nn.Tanh.
struct Tanh : Elementwise<kernels::tanh_op> {};
}  // namespace ctnn
