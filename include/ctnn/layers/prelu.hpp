#pragma once
// PReLU<Slopes>: x for x > 0, a x otherwise, with learned slopes a, as
// torch.nn.PReLU(num_parameters=Slopes): one slope for every value (PReLU<>, Slopes = 1) or one
// per channel, the first dimension of the input (a {C} vector: one per value). The slopes are
// the tensor `weight` [Slopes], 0.25 at first as in PyTorch; weight initialisers leave them alone.
#include <array>
#include <cstddef>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"

namespace ctnn {

template <std::size_t Slopes = 1>
struct PReLU {
    static_assert(Slopes > 0, "ctnn::PReLU: at least one slope");
    static constexpr auto tensors =
        tensor_list<1>({{{"weight", TensorRole::parameter, {Slopes}, DefaultInit::constant(0.25f)}}});

    static constexpr Shape output_shape(Shape in) noexcept { return in; }
    static constexpr bool per_time_step = true;  // a Stream runs it on each time step
    /// One slope, or one per channel: the input's first dimension must be Slopes.
    static constexpr Shape expected_input(Shape in) noexcept {
        if (Slopes != 1) in.dims[0] = Slopes;
        return in;
    }
    static std::string cpp_name() { return template_spelling("ctnn::PReLU", {Slopes}); }
    static std::string torch_module() {
        return Slopes == 1 ? "nn.PReLU()" : "nn.PReLU(num_parameters=" + std::to_string(Slopes) + ")";
    }

    // Scalar loops: a channel's slope is one load per value, and the compiler vectorises them.
    template <Shape In, class Arch>
    static void forward(const float* a, const float* x, std::size_t batch, float* y) noexcept {
        constexpr std::size_t n = In.size(), inner = n / In.dims[0];
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < n; ++i) {
                const float v = x[r * n + i];
                y[r * n + i] = v > 0.0f ? v : slope(a, i / inner) * v;
            }
    }

    /// dx = dy (x > 0 ? 1 : a); da += dy x where x <= 0.
    template <Shape In, class Arch>
    static void backward(const float* a, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* da) noexcept {
        constexpr std::size_t n = In.size(), inner = n / In.dims[0];
        for (std::size_t r = 0; r < batch; ++r)
            for (std::size_t i = 0; i < n; ++i) {
                const float v = x[r * n + i], g = dy[r * n + i];
                if (v <= 0.0f) da[Slopes == 1 ? 0 : i / inner] += g * v;
                if (dx) dx[r * n + i] = v > 0.0f ? g : slope(a, i / inner) * g;
            }
    }

private:
    static float slope(const float* a, std::size_t channel) noexcept { return a[Slopes == 1 ? 0 : channel]; }
};

}  // namespace ctnn
