#pragma once
// Adam and AdamW with PyTorch's semantics and defaults (torch.optim.Adam, torch.optim.AdamW):
// betas (0.9, 0.999), eps 1e-8, bias correction. They differ only in weight decay: Adam adds
// weight_decay * p to the gradient (L2, default 0), AdamW shrinks the parameters by
// 1 - lr * weight_decay before the update (decoupled, default 0.01). The moments are two blocks
// in the model's parameter layout, so a step is one vectorised pass. The protocol and the state
// interface are in optimizer.hpp.
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include "../core/parameter_block.hpp"
#include "../kernels/optimizer.hpp"
#include "optimizer.hpp"

namespace ctnn::optim {

struct AdamOptions {
    float lr = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-8f;
    float weight_decay = 0.0f;
};

struct AdamWOptions {
    float lr = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-8f;
    float weight_decay = 1e-2f;
};

namespace detail {

template <class Net, class Options, bool DecoupledWeightDecay>
class AdamFamily : public OptimizerBase<AdamFamily<Net, Options, DecoupledWeightDecay>, Net> {
public:
    explicit AdamFamily(const Options& options) : options_(options) {}

    void prepare_step(std::size_t step) noexcept {
        const double t = double(step);
        current_ = {options_.lr,
                    options_.beta1,
                    options_.beta2,
                    options_.eps,
                    options_.weight_decay,
                    float(1.0 - std::pow(double(options_.beta1), t)),
                    float(std::sqrt(1.0 - std::pow(double(options_.beta2), t))),
                    DecoupledWeightDecay};
    }
    void update(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        kernels::adam_update(net.parameters() + begin, grads.data() + begin, m_.data() + begin, v_.data() + begin,
                             end - begin, current_);
    }

    const Options& options() const noexcept { return options_; }
    Options& options() noexcept { return options_; }

    /// The first and second moments, as torch.optim names them.
    std::array<StateBlock<Net>, 2> state_blocks() noexcept { return {{{"exp_avg", m_.span()}, {"exp_avg_sq", v_.span()}}}; }
    std::array<StateBlock<Net, const float>, 2> state_blocks() const noexcept {
        return {{{"exp_avg", m_.span()}, {"exp_avg_sq", v_.span()}}};
    }

private:
    Options options_;
    kernels::AdamStep current_{};
    ParameterBlock<Net> m_, v_;
};

}  // namespace detail

template <class Net>
class Adam : public detail::AdamFamily<Net, AdamOptions, false> {
public:
    // The options constructor is a template and the default constructor separate, so that
    // Adam({}) is not ambiguous with the copy constructor (g++ 12 and clang 14).
    Adam() : Adam(AdamOptions{}) {}
    template <class O = AdamOptions>
        requires std::same_as<O, AdamOptions>
    explicit Adam(const O& options) : detail::AdamFamily<Net, AdamOptions, false>(options) {}
};

template <class Net>
class AdamW : public detail::AdamFamily<Net, AdamWOptions, true> {
public:
    AdamW() : AdamW(AdamWOptions{}) {}  // as Adam's constructors
    template <class O = AdamWOptions>
        requires std::same_as<O, AdamWOptions>
    explicit AdamW(const O& options) : detail::AdamFamily<Net, AdamWOptions, true>(options) {}
};

}  // namespace ctnn::optim
