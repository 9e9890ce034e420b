#pragma once
// Element-wise maps over a contiguous block: an activation and its backward pass, from the
// activation's output or (activation_backward_from_input) from its input.
#include <cstddef>
#include "arch.hpp"

namespace ctnn::kernels {

/// y[i] = Op::apply(x[i]); x and y may be the same buffer.
template <class Op, class Arch = default_arch>
inline void activation_forward(const float* x, std::size_t n, float* y) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const std::size_t vec_end = n / L * L;
    for (std::size_t i = 0; i < vec_end; i += L) Op::apply(V::load_unaligned(x + i)).store_unaligned(y + i);
    for (std::size_t i = vec_end; i < n; ++i) y[i] = Op::apply(x[i]);
}

namespace detail {
/// dx[i] = dy[i] * slope(a[i]), vector and scalar; dx may alias dy.
template <class Arch, class Slope>
inline void scale_by_slope(const float* a, const float* dy, std::size_t n, float* dx, Slope slope) noexcept {
    using V = fvec<Arch>;
    constexpr std::size_t L = lanes<Arch>;
    const std::size_t vec_end = n / L * L;
    for (std::size_t i = 0; i < vec_end; i += L)
        (V::load_unaligned(dy + i) * slope(V::load_unaligned(a + i))).store_unaligned(dx + i);
    for (std::size_t i = vec_end; i < n; ++i) dx[i] = dy[i] * slope(a[i]);
}
}  // namespace detail

/// dx[i] = dy[i] * Op'(y[i]) where y is the activation's output; dx may alias dy.
template <class Op, class Arch = default_arch>
inline void activation_backward(const float* y, const float* dy, std::size_t n, float* dx) noexcept {
    detail::scale_by_slope<Arch>(y, dy, n, dx, [](const auto& v) { return Op::derivative_from_output(v); });
}

/// dx[i] = dy[i] * Op::derivative(x[i]) where x is the activation's input; dx may alias dy.
template <class Op, class Arch = default_arch>
inline void activation_backward_from_input(const float* x, const float* dy, std::size_t n, float* dx) noexcept {
    detail::scale_by_slope<Arch>(x, dy, n, dx, [](const auto& v) { return Op::derivative(v); });
}

}  // namespace ctnn::kernels
