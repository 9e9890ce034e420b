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
class Sgd : public OptimizerBase<Sgd<Net>, Net> {
public:
    // The options constructor is a template and the default constructor separate, so that
    // Sgd({}) is not ambiguous with the copy constructor (g++ 12 and clang 14).
    Sgd() : Sgd(SgdOptions{}) {}
    template <class O = SgdOptions>
        requires std::same_as<O, SgdOptions>
    explicit Sgd(const O& options) : options_(options) {}

    void prepare_step(std::size_t /*step*/) noexcept {}
    void update(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        kernels::sgd_update(net.parameters() + begin, grads.data() + begin, momentum_.data() + begin, end - begin,
                            {options_.lr, options_.momentum, options_.weight_decay, options_.nesterov});
    }

    const SgdOptions& options() const noexcept { return options_; }
    SgdOptions& options() noexcept { return options_; }

    /// The velocity (zero until the first step with momentum), as torch.optim names it.
    std::array<StateBlock<Net>, 1> state_blocks() noexcept { return {{{"momentum_buffer", momentum_.span()}}}; }
    std::array<StateBlock<Net, const float>, 1> state_blocks() const noexcept {
        return {{{"momentum_buffer", momentum_.span()}}};
    }

private:
    SgdOptions options_;
    ParameterBlock<Net> momentum_;
};

}  // namespace ctnn::optim
