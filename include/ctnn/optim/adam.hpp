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

namespace detail {
struct L2WeightDecay {  // Adam: g += weight_decay * p
    static constexpr float default_weight_decay = 0.0f;
    static constexpr bool decoupled = false;
};
struct DecoupledWeightDecay {  // AdamW: p *= 1 - lr * weight_decay
    static constexpr float default_weight_decay = 1e-2f;
    static constexpr bool decoupled = true;
};
}  // namespace detail

template <class WeightDecay>
struct AdamFamilyOptions {
    float lr = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-8f;
    float weight_decay = WeightDecay::default_weight_decay;
};
/// Adam's options; weight_decay defaults to 0 (torch.optim.Adam).
using AdamOptions = AdamFamilyOptions<detail::L2WeightDecay>;
/// AdamW's options; weight_decay defaults to 0.01 (torch.optim.AdamW).
using AdamWOptions = AdamFamilyOptions<detail::DecoupledWeightDecay>;

namespace detail {

template <class Net, class WeightDecay>
class AdamFamily : public OptimizerBase<AdamFamily<Net, WeightDecay>, Net, AdamFamilyOptions<WeightDecay>> {
    using Base = OptimizerBase<AdamFamily<Net, WeightDecay>, Net, AdamFamilyOptions<WeightDecay>>;

public:
    using Base::Base;

    void prepare_step(std::size_t step) noexcept {
        const auto& o = this->options_;
        const double t = double(step);
        current_ = {o.lr,
                    o.beta1,
                    o.beta2,
                    o.eps,
                    o.weight_decay,
                    float(1.0 - std::pow(double(o.beta1), t)),
                    float(std::sqrt(1.0 - std::pow(double(o.beta2), t))),
                    WeightDecay::decoupled};
    }
    void update_range(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        kernels::adam_update(net.parameters() + begin, grads.data() + begin, m_.data() + begin, v_.data() + begin,
                             end - begin, current_);
    }

    /// The first and second moments, as torch.optim names them.
    std::array<StateBlock<Net>, 2> state_blocks() noexcept { return {{{"exp_avg", m_.span()}, {"exp_avg_sq", v_.span()}}}; }
    std::array<StateBlock<Net, const float>, 2> state_blocks() const noexcept {
        return {{{"exp_avg", m_.span()}, {"exp_avg_sq", v_.span()}}};
    }

private:
    kernels::AdamStep current_{};
    ParameterBlock<Net> m_, v_;
};

}  // namespace detail

template <class Net>
class Adam : public detail::AdamFamily<Net, detail::L2WeightDecay> {
public:
    using detail::AdamFamily<Net, detail::L2WeightDecay>::AdamFamily;
};

template <class Net>
class AdamW : public detail::AdamFamily<Net, detail::DecoupledWeightDecay> {
public:
    using detail::AdamFamily<Net, detail::DecoupledWeightDecay>::AdamFamily;
};

}  // namespace ctnn::optim
