#pragma once
// DataParallel: one training batch's forward, loss and backward split across a ThreadPool by
// rows. Each thread runs train::loss_and_gradients on its share of the samples with its own
// StepBuffers; the gradient blocks are then summed, each thread adding up one slice of the
// parameters over all blocks in a fixed order (and zeroing the blocks' slices for the next
// step), so a run is deterministic for a given thread count. The loss of every share is scaled by
// the whole batch (not the share), so the sum is exactly the gradient of the batch mean, as one
// thread computes it up to float summation order.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/parameter_block.hpp"
#include "../kernels/statistics.hpp"
#include "../optim/optimizer.hpp"
#include "../util/thread_pool.hpp"
#include "step.hpp"

namespace ctnn::train {

template <class Net>
class DataParallel {
public:
    DataParallel(ThreadPool& pool, std::size_t max_batch) : pool_(pool), max_batch_(max_batch) {
        const std::size_t share = (max_batch + pool.size() - 1) / pool.size();
        for (std::size_t t = 0; t < pool.size(); ++t) shares_.push_back(std::make_unique<Share>(share));
    }

    /// The loss of `net` on the batch (x: batch x in_size floats, targets as the loss wants
    /// them); writes d(mean loss)/d(parameters) into `grads` (overwriting) and returns the
    /// mean loss.
    template <class Loss, class Targets>
    float loss_and_gradients(const Net& net, const Loss& loss, std::span<const float> x, const Targets& targets,
                             Gradients<Net>& grads) noexcept {
        shares_forward_backward(net, loss, x, ctnn::detail::const_span(targets));
        reduce<false>(grads);
        return total_loss();
    }

    /// One training step: loss_and_gradients, then the optimizer's update, each thread reducing
    /// and updating its own slice of the parameters in one pass.
    template <class Optimizer, class Loss, class Targets>
        requires optim::Optimizer<Optimizer, Net>
    float train_step(Net& net, Optimizer& optimizer, const Loss& loss, std::span<const float> x, const Targets& targets,
                     Gradients<Net>& grads) noexcept {
        return step(net, optimizer, loss, x, ctnn::detail::const_span(targets), grads, false).first;
    }

    /// train_step that applies the update only if the loss and every gradient are finite:
    /// returns the loss and whether the update was applied; `grads` holds the batch's gradients
    /// either way. Each thread checks the sums of its slice as it makes them; one more hand-off
    /// then starts the updates.
    template <class Optimizer, class Loss, class Targets>
        requires optim::Optimizer<Optimizer, Net>
    std::pair<float, bool> train_step_if_finite(Net& net, Optimizer& optimizer, const Loss& loss, std::span<const float> x,
                                                const Targets& targets, Gradients<Net>& grads) noexcept {
        return step(net, optimizer, loss, x, ctnn::detail::const_span(targets), grads, true);
    }

    /// train_step_if_finite on a batch that is not there yet: each thread first calls
    /// fill_rows(first, count) for its own rows of x and targets (the gather of a batch split
    /// across the threads), then reads them. Called from every thread at once, on disjoint rows.
    template <class Optimizer, class Loss, class Targets, class FillRows>
        requires optim::Optimizer<Optimizer, Net>
    std::pair<float, bool> train_step_if_finite(Net& net, Optimizer& optimizer, const Loss& loss, std::span<const float> x,
                                                const Targets& targets, Gradients<Net>& grads,
                                                const FillRows& fill_rows) noexcept {
        return step(net, optimizer, loss, x, ctnn::detail::const_span(targets), grads, true, fill_rows);
    }

    std::size_t threads() const noexcept { return pool_.size(); }

    /// Where the last batch's layer outputs are: one part per thread, in sample order.
    std::span<const StepOutputs<Net>> outputs() const noexcept { return outputs_; }

private:
    using Share = StepBuffers<Net>;

    // Rows already in place: nothing to fill.
    static constexpr auto rows_in_place = [](std::size_t, std::size_t) noexcept {};

    template <class Optimizer, class Loss, class Target, class FillRows = decltype(rows_in_place)>
    std::pair<float, bool> step(Net& net, Optimizer& optimizer, const Loss& loss, std::span<const float> x,
                                std::span<const Target> targets, Gradients<Net>& grads, bool check_finite,
                                const FillRows& fill_rows = rows_in_place) noexcept {
        shares_forward_backward(net, loss, x, targets, fill_rows);
        const float value = total_loss();
        if (check_finite) {
            // The sums are checked as they are made (a NaN or an infinity in a share makes its
            // sum one), and every slice must be known finite before any is updated: two runs.
            reduce<true>(grads);
            bool finite = std::isfinite(value);
            for (const char f : finite_) finite = finite && f;
            if (!finite) return {value, false};
            begin_update(net, optimizer);
            auto update = [&](std::size_t t) {
                const auto [begin, end] = slice(t);
                if (begin < end) optimizer.update(net, grads, begin, end);
            };
            pool_.run(update);
            return {value, true};
        }
        begin_update(net, optimizer);
        auto reduce_and_update = [&](std::size_t t) {
            const auto [begin, end] = slice(t);
            reduce_slice<false>(grads, begin, end);
            if (begin < end) optimizer.update(net, grads, begin, end);
        };
        pool_.run(reduce_and_update);
        return {value, true};
    }

    template <class Optimizer>
    void begin_update(Net& net, Optimizer& optimizer) noexcept {
        optimizer.begin_step();
        update_running_statistics(net);
    }

    template <class Loss, class Target, class FillRows = decltype(rows_in_place)>
    void shares_forward_backward(const Net& net, const Loss& loss, std::span<const float> x,
                                 std::span<const Target> targets, const FillRows& fill_rows = rows_in_place) noexcept {
        constexpr std::size_t per_sample = Loss::targets_per_sample(Net::out_size);
        const std::size_t batch = targets.size() / per_sample;
        CTNN_CHECK(batch <= max_batch_, "batch larger than DataParallel's max_batch");
        CTNN_CHECK(x.size() == batch * Net::in_size, "input must hold batch x Net::in_size floats");
        const std::size_t threads = pool_.size();
        // Every share draws its Dropout masks for its own rows of this step: the same masks as
        // one thread would draw for the batch.
        const TrainingStep step{seed_, step_++, 0};
        auto work = [&](std::size_t t) {
            Share& s = *shares_[t];
            const std::size_t first = batch * t / threads, n = batch * (t + 1) / threads - first;
            s.workspace.set_training_step({step.seed, step.step, first});
            outputs_[t] = {&s.workspace, n};
            if (n > 0) fill_rows(first, n);
            losses_[t] = n == 0 ? 0.0f
                                : train::loss_and_gradients(net, loss, x.subspan(first * Net::in_size, n * Net::in_size),
                                                            targets.subspan(first * per_sample, n * per_sample), s, batch);
        };
        pool_.run(work);
    }

    /// The shares' batch statistics combined into the running statistics (BatchNorm's).
    void update_running_statistics(Net& net) noexcept {
        if constexpr (Net::has_running_statistics) {
            std::vector<const Workspace<Net>*>& used = share_workspaces_;
            used.clear();  // capacity reserved at construction: no allocation here
            for (std::size_t t = 0; t < shares_.size(); ++t)
                if (outputs_[t].rows > 0) used.push_back(&shares_[t]->workspace);
            net.update_running_statistics(std::span<const Workspace<Net>* const>(used.data(), used.size()));
        }
    }

    /// Thread t's slice of the parameter block, 64-byte aligned.
    std::pair<std::size_t, std::size_t> slice(std::size_t t) const noexcept {
        const std::size_t total = Net::parameter_block_size, threads = pool_.size();
        const std::size_t step = ctnn::detail::round_up((total + threads - 1) / threads, floats_per_alignment);
        const std::size_t begin = std::min(total, t * step);
        return {begin, std::min(total, begin + step)};
    }

    /// Every thread's reduce_slice, finite_[t] its result.
    template <bool Check>
    void reduce(Gradients<Net>& grads) noexcept {
        auto each = [&](std::size_t t) {
            const auto [begin, end] = slice(t);
            finite_[t] = reduce_slice<Check>(grads, begin, end);
        };
        pool_.run(each);
    }

    /// grads[begin, end) = the sum of the shares' gradients, in share order 0, 1, 2, ..., a
    /// chunk at a time. Each share's chunk is zeroed as soon as it is read, while its lines are in
    /// this core's cache: the shares start the next step's backward (which adds) at zero without
    /// a pass of their own over the block. With Check, returns whether every sum is finite.
    template <bool Check>
    bool reduce_slice(Gradients<Net>& grads, std::size_t begin, std::size_t end) noexcept {
        float* out = grads.data();
        bool finite = true;
        for (std::size_t b = begin; b < end; b += reduce_chunk) {
            const std::size_t e = std::min(end, b + reduce_chunk);
            float* first = shares_[0]->gradients.data();
            std::copy(first + b, first + e, out + b);
            std::fill(first + b, first + e, 0.0f);
            for (std::size_t k = 1; k < shares_.size(); ++k) {
                float* g = shares_[k]->gradients.data();
                for (std::size_t i = b; i < e; ++i) out[i] += g[i];
                std::fill(g + b, g + e, 0.0f);
            }
            if constexpr (Check) finite = finite && kernels::all_finite(out + b, e - b);
        }
        return finite;
    }
    static constexpr std::size_t reduce_chunk = 2048;  // 8 KB a block: the chunks of all shares fit in L1

    float total_loss() const noexcept {
        float loss = 0;
        for (float l : losses_) loss += l;
        return loss;
    }

    ThreadPool& pool_;
    std::size_t max_batch_;
    std::vector<std::unique_ptr<Share>> shares_;
    std::vector<float> losses_ = std::vector<float>(pool_.size());
    std::vector<char> finite_ = std::vector<char>(pool_.size());
    std::vector<StepOutputs<Net>> outputs_ = std::vector<StepOutputs<Net>>(pool_.size());
    std::vector<const Workspace<Net>*> share_workspaces_ = [this] {
        std::vector<const Workspace<Net>*> v;
        v.reserve(pool_.size());
        return v;
    }();
    std::uint64_t seed_ = 0, step_ = 0;
};

}  // namespace ctnn::train
