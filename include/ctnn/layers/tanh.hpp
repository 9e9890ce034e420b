#pragma once
#include <string>
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// Hyperbolic tangent, as torch.nn.Tanh.
struct Tanh : Elementwise<kernels::tanh_op> {
    static std::string cpp_name() { return "ctnn::Tanh"; }
    static std::string torch_module() { return "nn.Tanh()"; }
};
}  // namespace ctnn
