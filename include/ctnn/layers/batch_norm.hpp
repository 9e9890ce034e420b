#pragma once
// BatchNorm2d<C> and BatchNorm1d<C>: per-channel batch normalisation as torch.nn.BatchNorm2d /
// BatchNorm1d (eps 1e-5, momentum 0.1, affine, tracking running statistics).
//   training (train_forward): y = (x - mean_B) / sqrt(var_B + eps) * weight + bias, with the
//     batch's mean and biased variance over the samples and every position of the channel; after
//     the step (Seq::update_running_statistics) running = 0.9 running + 0.1 batch, the variance
//     unbiased, and num_batches_tracked + 1.
//   inference (forward): the same map with the running statistics: x * scale[c] + shift[c].
// Tensors, as PyTorch names them: weight [C] (1), bias [C] (0), the buffers running_mean [C] (0)
// and running_var [C] (1), and num_batches_tracked [] (an I64 count in files).
// BatchNorm2d takes images {C, H, W}; BatchNorm1d feature vectors {C} or sequences {C, L}.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include "../core/layer.hpp"
#include "../core/shape.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/batch_norm.hpp"

namespace ctnn {

namespace detail {

template <std::size_t C, bool Image>
struct BatchNorm {
    static_assert(C > 0, "ctnn::BatchNorm: at least one channel");
    static constexpr float eps = 1e-5f;
    static constexpr double momentum = 0.1;

    static constexpr auto tensors = tensor_list<5>({{
        {"weight", TensorRole::parameter, {C}, DefaultInit::constant(1.0f)},
        {"bias", TensorRole::bias, {C}, DefaultInit::constant(0.0f)},
        {"running_mean", TensorRole::buffer, {C}, DefaultInit::constant(0.0f)},
        {"running_var", TensorRole::buffer, {C}, DefaultInit::constant(1.0f)},
        {"num_batches_tracked", TensorRole::count, {}, DefaultInit::constant(0.0f)},
    }});

    template <class T>
    struct View {
        std::span<T, C> weight, bias, running_mean, running_var;
        T& num_batches_tracked;  // a count, held as a float
    };
    template <class T>
    static View<T> view(T* p) noexcept {
        return {std::span<T, C>(p + tensors[0].offset, C), std::span<T, C>(p + tensors[1].offset, C),
                std::span<T, C>(p + tensors[2].offset, C), std::span<T, C>(p + tensors[3].offset, C),
                p[tensors[4].offset]};
    }

    static constexpr Shape output_shape(Shape in) noexcept { return in; }
    static constexpr bool per_time_step = !Image;  // a Stream runs its inference map on each step
    static constexpr Shape expected_input(Shape in) noexcept {
        if constexpr (Image) return in.rank == 3 ? Shape{C, in.dims[1], in.dims[2]} : Shape{C, 1, 1};
        else return in.rank == 2 ? Shape{C, in.dims[1]} : Shape{C};
    }
    // Per call: inference's scale and shift, or backward's three per-channel coefficients.
    static constexpr std::size_t scratch_size(Shape) noexcept { return 3 * C; }
    // Kept from train_forward: the batch's mean, biased variance, 1/sqrt(var + eps), and count.
    static constexpr std::size_t train_state_size(Shape) noexcept { return 3 * C + 1; }

    static std::string cpp_name() {
        return template_spelling(Image ? "ctnn::BatchNorm2d" : "ctnn::BatchNorm1d", {(long long)C});
    }
    static std::string torch_module() {
        return std::string(Image ? "nn.BatchNorm2d(" : "nn.BatchNorm1d(") + std::to_string(C) + ")";
    }

    /// At inference the layer is y = x * scale[c] + shift[c]: a map fold_batch_norm can merge
    /// into the convolution or Linear before it.
    static constexpr std::size_t affine_channels = C;
    static void inference_affine(const float* p, float* scale, float* shift) noexcept {
        const auto v = view(p);
        for (std::size_t c = 0; c < C; ++c) {
            scale[c] = v.weight[c] / std::sqrt(v.running_var[c] + eps);
            shift[c] = v.bias[c] - v.running_mean[c] * scale[c];
        }
    }

    /// Inference: normalised with the running statistics.
    template <Shape In, class Arch>
    static void forward(const float* p, const float* x, std::size_t batch, float* y, float* scratch) noexcept {
        inference_affine(p, scratch, scratch + C);
        kernels::channel_affine<inner<In>()>(x, batch, C, scratch, scratch + C, y);
    }

    /// Training: normalised with the batch's statistics, which `state` keeps.
    template <Shape In, class Arch>
    static void train_forward(const float* p, const float* x, std::size_t batch, float* y, float*, float* state,
                              const TrainingStep&) noexcept {
        const auto v = view(p);
        kernels::batch_norm_train_forward<inner<In>(), Arch>(x, batch, C, v.weight.data(), v.bias.data(), eps, state,
                                                             state + C, state + 2 * C, y);
        state[3 * C] = float(batch * inner<In>());
    }

    /// Through the training-mode map: dweight += sum(dy xhat), dbias += sum(dy), and
    /// dx = weight invstd (dy - mean(dy) - xhat mean(dy xhat)).
    template <Shape In, class Arch>
    static void backward(const float* p, const float* x, const float*, const float* dy, std::size_t batch, float* dx,
                         float* dp, float* scratch, float* state) noexcept {
        const auto v = view(p);
        const auto g = view(dp);
        kernels::batch_norm_backward<inner<In>(), Arch>(x, dy, batch, C, state, state + 2 * C, v.weight.data(),
                                                        g.weight.data(), g.bias.data(), dx, scratch);
    }

    /// running = (1 - momentum) running + momentum batch, the shares' statistics combined into
    /// the whole batch's (the variance unbiased, as PyTorch keeps it); num_batches_tracked + 1.
    template <Shape In>
    static void update_buffers(float* p, std::span<const float* const> states) noexcept {
        const auto v = view(p);
        double total = 0;
        for (const float* s : states) total += double(s[3 * C]);
        if (total == 0) return;
        for (std::size_t c = 0; c < C; ++c) {
            double mean = 0;
            for (const float* s : states) mean += double(s[3 * C]) * double(s[c]);
            mean /= total;
            double m2 = 0;
            for (const float* s : states) {
                const double d = double(s[c]) - mean;
                m2 += double(s[3 * C]) * (double(s[C + c]) + d * d);
            }
            const double unbiased = total > 1 ? m2 / (total - 1) : m2;
            v.running_mean[c] = float(momentum * mean + (1 - momentum) * double(v.running_mean[c]));
            v.running_var[c] = float(momentum * unbiased + (1 - momentum) * double(v.running_var[c]));
        }
        v.num_batches_tracked += 1.0f;
    }

private:
    template <Shape In>
    static constexpr std::size_t inner() noexcept { return In.size() / C; }
};

}  // namespace detail

/// Batch normalisation of images {C, H, W} over the batch and every pixel, per channel
/// (nn.BatchNorm2d(C)).
template <std::size_t Channels>
struct BatchNorm2d : detail::BatchNorm<Channels, true> {};

/// Batch normalisation of feature vectors {C} or sequences {C, L}, per channel (nn.BatchNorm1d(C)).
template <std::size_t Channels>
struct BatchNorm1d : detail::BatchNorm<Channels, false> {};

}  // namespace ctnn
