#pragma once
#include <string>
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// max(0, x), as torch.nn.ReLU.
struct ReLU : Elementwise<kernels::relu_op> {
    static std::string cpp_name() { return "ctnn::ReLU"; }
    static std::string torch_module() { return "nn.ReLU()"; }
};
}  // namespace ctnn
