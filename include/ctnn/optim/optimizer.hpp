#pragma once
// The optimizer protocol, one for every optimizer and every caller (train::step, the Trainer,
// DataParallel's per-thread updates):
//
//   opt.begin_step()                       once per step: counts it, precomputes per-step scalars
//   opt.update(net, grads, begin, end)     updates parameters [begin, end) of the block, skipping
//                                          buffers (running statistics); threads may update
//                                          disjoint slices of one step concurrently
//   opt.step(net, grads)                   begin_step() + update of the whole block
//   opt.options()                          the options struct; `options().lr` is what a
//                                          learning-rate schedule sets
//
// and, so a run can be saved and resumed exactly, the optimizer's state:
//
//   opt.steps(), opt.set_steps(n)          steps taken (Adam's bias correction depends on it)
//   opt.state_blocks()                     std::array of StateBlock{name, values}: every state
//                                          tensor as a block in the model's parameter layout,
//                                          named as torch.optim's state_dict names them
//                                          ("exp_avg", "exp_avg_sq", "momentum_buffer"); writable
//                                          through a non-const optimizer, read-only through a const one
//
// Saving the parameters, every state block and steps(), and restoring them into a fresh model
// and optimizer, continues training bit for bit (tests/test_train.cpp shows it).
// OptimizerBase gives every optimizer its constructors, options(), step(), begin_step() and the
// step count, so an optimizer writes only its per-step scalars (prepare_step(t), called by
// begin_step), its vectorised update_range(net, grads, begin, end) (called on trainable ranges
// only) and its state_blocks().
#include <concepts>
#include <cstddef>
#include <span>
#include "../core/parameter_block.hpp"

namespace ctnn::optim {

template <class O, class Net>
concept Optimizer = requires(O& optimizer, Net& net, const Gradients<Net>& grads, std::size_t index) {
    optimizer.begin_step();
    optimizer.update(net, grads, index, index);
    optimizer.step(net, grads);
    { optimizer.options().lr } -> std::convertible_to<float>;
};

/// One named tensor of optimizer state, in the parameter layout of Net (T: float or const float).
template <class Net, class T = float>
struct StateBlock {
    const char* name;
    std::span<T, Net::parameter_block_size> values;
};

template <class Derived, class Net, class Options>
class OptimizerBase {
public:
    // The options constructor is a template and the default constructor separate, so that
    // Adam<Net>({}) is not ambiguous with the copy constructor (g++ 12 and clang 14). Optimizers
    // inherit both (using OptimizerBase::OptimizerBase).
    OptimizerBase() : OptimizerBase(Options{}) {}
    template <class O = Options>
        requires std::same_as<O, Options>
    explicit OptimizerBase(const O& options) : options_(options) {}

    /// params -= update(grads) over the whole block; call after backward.
    void step(Net& net, const Gradients<Net>& grads) noexcept {
        begin_step();
        update(net, grads, 0, Net::parameter_block_size);
    }
    /// Updates the trainable parameters in [begin, end) of the block (Net::trainable_ranges:
    /// buffers such as running statistics are left alone).
    void update(Net& net, const Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        for (const auto& [first, last] : Net::trainable_ranges) {
            const std::size_t b = first > begin ? first : begin, e = last < end ? last : end;
            if (b < e) derived().update_range(net, grads, b, e);
        }
    }
    /// step() in two parts, so threads can update disjoint slices of the block: begin_step()
    /// once, then update() on slices [begin, end) that together cover the block.
    void begin_step() noexcept {
        ++steps_;
        derived().prepare_step(steps_);
    }

    const Options& options() const noexcept { return options_; }
    Options& options() noexcept { return options_; }

    std::size_t steps() const noexcept { return steps_; }
    /// Restores the count of a saved run (with the state blocks), before its next step.
    void set_steps(std::size_t steps) noexcept { steps_ = steps; }

protected:
    Options options_;

private:
    Derived& derived() noexcept { return static_cast<Derived&>(*this); }
    std::size_t steps_ = 0;
};

}  // namespace ctnn::optim
