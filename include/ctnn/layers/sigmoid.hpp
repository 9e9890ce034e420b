#pragma once
#include <string>
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// 1 / (1 + e^-x), as torch.nn.Sigmoid.
struct Sigmoid : Elementwise<kernels::sigmoid_op> {
    static std::string cpp_name() { return "ctnn::Sigmoid"; }
    static std::string torch_module() { return "nn.Sigmoid()"; }
};
}  // namespace ctnn
