#pragma once
// Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD, dampening 0):
// d = g + weight_decay * p; buf = momentum * buf + d; d = nesterov ? d + momentum * buf : buf;
// p -= lr * d.
#include <cstddef>
#include "../core/parameter_block.hpp"
#include "../kernels/optimizer.hpp"

namespace ctnn::optim {

struct SgdOptions {
    float lr = 1e-2f;
    float momentum = 0.0f;
    float weight_decay = 0.0f;
    bool nesterov = false;
};

template <class Net>
class Sgd {
public:
    explicit Sgd(SgdOptions options = {}) : options_(options) {}

    void step(Net& net, const Gradients<Net>& grads) noexcept {
        begin_step();
        update(net, grads, 0, Net::parameter_block_size);
    }

    /// step() in two parts, so threads can update disjoint slices [begin, end) of the block.
    void begin_step() noexcept {}
    void update(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        kernels::sgd_update(net.parameters() + begin, grads.data() + begin, momentum_.data() + begin, end - begin,
                            {options_.lr, options_.momentum, options_.weight_decay, options_.nesterov});
    }

    const SgdOptions& options() const noexcept { return options_; }
    SgdOptions& options() noexcept { return options_; }

private:
    SgdOptions options_;
    ParameterBlock<Net> momentum_;
};

}  // namespace ctnn::optim
