#pragma once
#include <string>
#include "../core/layer.hpp"
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// x for x > 0, alpha (e^x - 1) otherwise, as torch.nn.ELU(alpha = Numerator / Denominator).
/// Like LeakyReLUSlope, alpha is a ratio in the type: ELUAlpha<1, 2> has alpha 0.5.
template <int Numerator, int Denominator = 1>
struct ELUAlpha : Elementwise<kernels::elu_op<Numerator, Denominator>> {
    static constexpr float alpha = float(Numerator) / float(Denominator);
    using ratio = detail::Ratio<Numerator, Denominator>;
    static std::string cpp_name() { return ratio::spelling("ctnn::ELU", 1, 1, "ctnn::ELUAlpha"); }
    static std::string torch_module() { return "nn.ELU(alpha=" + ratio::python() + ")"; }
};
/// PyTorch's default alpha, 1.
using ELU = ELUAlpha<1, 1>;
}  // namespace ctnn
