#pragma once
#include <string>
#include "../core/layer.hpp"
#include "../kernels/activation_ops.hpp"
#include "elementwise.hpp"

namespace ctnn {
/// x for x > 0, slope * x otherwise, as torch.nn.LeakyReLU(negative_slope = Numerator /
/// Denominator). The slope is part of the type (a ratio: clang 14 takes no float template
/// arguments), so the compiler folds it into the kernel: LeakyReLUSlope<1, 5> has slope 0.2.
template <int Numerator, int Denominator = 100>
struct LeakyReLUSlope : Elementwise<kernels::leaky_relu_op<Numerator, Denominator>> {
    static constexpr float slope = float(Numerator) / float(Denominator);
    using ratio = detail::Ratio<Numerator, Denominator>;
    static std::string cpp_name() { return ratio::spelling("ctnn::LeakyReLU", 1, 100, "ctnn::LeakyReLUSlope"); }
    static std::string torch_module() { return "nn.LeakyReLU(negative_slope=" + ratio::python() + ")"; }
};
/// PyTorch's default negative slope, 0.01.
using LeakyReLU = LeakyReLUSlope<1, 100>;
}  // namespace ctnn
