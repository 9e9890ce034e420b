#pragma once
// Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD, dampening 0):
// d = g + weight_decay * p; buf = momentum * buf + d; d = nesterov ? d + momentum * buf : buf;
// p -= lr * d. The protocol and the state interface are in optimizer.hpp.
#include <array>
#include <concepts>
#include <cstddef>
#include "../core/parameter_block.hpp"
#include "../kernels/optimizer.hpp"
#include "optimizer.hpp"

namespace ctnn::optim {

struct SgdOptions {
    float lr = 1e-2f;
    float momentum = 0.0f;
    float weight_decay = 0.0f;
    bool nesterov = false;
};

template <class Net>
class Sgd : public OptimizerBase<Sgd<Net>, Net, SgdOptions> {
public:
    using OptimizerBase<Sgd<Net>, Net, SgdOptions>::OptimizerBase;

    void prepare_step(std::size_t /*step*/) noexcept {}
    void update_range(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        const SgdOptions& o = this->options_;
        kernels::sgd_update(net.parameters() + begin, grads.data() + begin, momentum_.data() + begin, end - begin,
                            {o.lr, o.momentum, o.weight_decay, o.nesterov});
    }

    /// The velocity (zero until the first step with momentum), as torch.optim names it.
    std::array<StateBlock<Net>, 1> state_blocks() noexcept { return {{{"momentum_buffer", momentum_.span()}}}; }
    std::array<StateBlock<Net, const float>, 1> state_blocks() const noexcept {
        return {{{"momentum_buffer", momentum_.span()}}};
    }

private:
    ParameterBlock<Net> momentum_;
};

}  // namespace ctnn::optim
