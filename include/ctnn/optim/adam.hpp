#pragma once
// Adam with PyTorch's semantics and defaults (torch.optim.Adam): betas (0.9, 0.999), eps 1e-8,
// bias correction, L2 weight decay added to the gradient. Its moments are two blocks in the
// model's parameter layout, so a step is one vectorised pass.
#include <cmath>
#include <cstddef>
#include "../core/parameter_block.hpp"
#include "../kernels/optimizer.hpp"

namespace ctnn::optim {

struct AdamOptions {
    float lr = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-8f;
    float weight_decay = 0.0f;
};

template <class Net>
class Adam {
public:
    explicit Adam(AdamOptions options = {}) : options_(options) {}

    /// params -= update(grads); call after backward, then zero the gradients.
    void step(Net& net, const Gradients<Net>& grads) noexcept {
        begin_step();
        update(net, grads, 0, Net::parameter_block_size);
    }

    /// step() in two parts, so threads can update disjoint slices of the block: begin_step()
    /// once, then update() on slices [begin, end) that together cover the block.
    void begin_step() noexcept {
        ++steps_;
        const double t = double(steps_);
        current_ = {options_.lr,
                    options_.beta1,
                    options_.beta2,
                    options_.eps,
                    options_.weight_decay,
                    float(1.0 - std::pow(double(options_.beta1), t)),
                    float(std::sqrt(1.0 - std::pow(double(options_.beta2), t)))};
    }
    void update(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        kernels::adam_update(net.parameters() + begin, grads.data() + begin, m_.data() + begin, v_.data() + begin,
                             end - begin, current_);
    }

    const AdamOptions& options() const noexcept { return options_; }
    AdamOptions& options() noexcept { return options_; }
    std::size_t steps() const noexcept { return steps_; }

private:
    AdamOptions options_;
    std::size_t steps_ = 0;
    kernels::AdamStep current_{};
    ParameterBlock<Net> m_, v_;
};

}  // namespace ctnn::optim
