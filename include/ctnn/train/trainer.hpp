#pragma once
// Trainer: the epoch loop, generic over the network, the optimizer (optim/optimizer.hpp), the
// loss (loss/loss.hpp) and the data set (dataset.hpp). Each mini-batch: gather the samples the
// BatchSampler picks, then train::step (or, with a ThreadPool of more than one thread,
// DataParallel's step, each thread gathering its own rows). Every buffer (workspace, gradients, batch, loss gradient, sample
// order) is allocated by the constructor; an epoch allocates nothing.
//
// The library never prints: progress bars, logs, validation and diagnostics are callbacks,
// called on the training thread between batches:
//   on_epoch_begin(f)   f(const EpochBegin&)       before an epoch's first batch
//   on_batch_end(f)     f(const BatchEnd<Net>&)    after each batch's update
//   on_epoch_end(f)     f(const EpochEnd<Net>&)    after an epoch's last batch
// Each call adds a callback; several run in the order added. Progress (progress.hpp) and
// Diagnostics (diagnostics.hpp) are ready-made ones.
//
// Numeric faults: a batch whose loss or any gradient is NaN or infinite is not applied to the
// model. By default run_epoch then throws NumericFault, naming the epoch, the batch, the tensor
// and the last finite loss, with the model as it was before that batch;
// on_numeric_fault(NumericFaultPolicy::skip_batch) skips such batches and goes on. Training data
// with a NaN or infinite feature or target is refused by the constructor, which names the
// sample and the value. (Built without exceptions, both print the message and abort.)
#include <cmath>
#include <concepts>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include "../core/check.hpp"
#include "../core/parameter_block.hpp"
#include "../kernels/statistics.hpp"
#include "../loss/loss.hpp"
#include "../optim/optimizer.hpp"
#include "../optim/schedule.hpp"
#include "../util/rng.hpp"
#include "../util/thread_pool.hpp"
#include "batch.hpp"
#include "batch_sampler.hpp"
#include "data_parallel.hpp"
#include "dataset.hpp"
#include "step.hpp"

namespace ctnn::train {

struct EpochBegin {
    std::size_t epoch;       // 0-based index of the epoch about to run
    std::size_t batches;     // batches it will run
    std::size_t batch_size;  // samples per full batch
    float learning_rate;     // the optimizer's lr for this epoch (after the schedule)
};

template <class Net>
struct BatchEnd {
    std::size_t epoch;    // 0-based
    std::size_t batch;    // 0-based index within the epoch
    std::size_t batches;  // batches in the epoch
    std::size_t samples;  // samples in this batch
    float loss;           // this batch's loss, before the update
    const Net& net;       // after the update
    const Gradients<Net>& gradients;  // this batch's gradients (of its mean loss)
    /// The outputs of every layer for this batch (workspace->activations(position)), in one part
    /// per thread that computed them, in sample order.
    std::span<const StepOutputs<Net>> outputs;
    bool skipped = false;  // a numeric fault under NumericFaultPolicy::skip_batch: no update
};

template <class Net>
struct EpochEnd {
    std::size_t epoch;    // 0-based index of the epoch just finished
    std::size_t batches;  // batches it ran
    double mean_loss;     // the mean of its applied batches' losses (NaN without one)
    const Net& net;
    std::size_t skipped_batches = 0;  // numeric faults skipped (NumericFaultPolicy::skip_batch)
};

/// What a Trainer does with a batch whose loss or gradients are NaN or infinite. Either way
/// the batch's update is not applied.
enum class NumericFaultPolicy {
    stop,        // run_epoch throws NumericFault (the default)
    skip_batch,  // the batch is left out (BatchEnd::skipped, EpochEnd::skipped_batches)
};

/// Thrown by Trainer::run_epoch at a numeric fault under NumericFaultPolicy::stop. The model
/// holds the weights from before the faulty batch, so they can still be saved.
class NumericFault : public std::runtime_error {
public:
    NumericFault(const std::string& message, std::size_t epoch, std::size_t batch, float loss, float last_finite_loss)
        : std::runtime_error(message), epoch(epoch), batch(batch), loss(loss), last_finite_loss(last_finite_loss) {}
    std::size_t epoch, batch;  // 0-based, as in the events
    float loss;                // the faulty batch's loss (may be finite if only a gradient was not)
    float last_finite_loss;    // NaN if no batch had a finite loss yet
};

template <class Net, class Optimizer, class Loss, class Data>
    requires optim::Optimizer<Optimizer, Net> && Dataset<Data> &&
             loss::LossFor<Loss, Net::out_size, typename Data::target_type>
class Trainer {
public:
    using target_type = typename Data::target_type;

    /// Trains `net` (kept by reference) with `optimizer` (kept by reference) on `data` (a view:
    /// its memory must outlive the trainer). `rng` (kept by reference, must outlive the
    /// trainer) orders the samples: every epoch continues its stream, so passing the generator
    /// that initialised the net continues that stream, as PyTorch's one global generator does,
    /// and rng.state() saved between epochs is the sampling state of a resumable run. With a
    /// `pool` of more than one thread, each batch is split across its threads (DataParallel;
    /// deterministic for a thread count).
    Trainer(Net& net, Optimizer& optimizer, Loss loss, Data data, BatchOptions options, Rng& rng,
            ThreadPool* pool = nullptr, Caller caller = Caller::current())
        : net_(net),
          optimizer_(optimizer),
          loss_(std::move(loss)),
          data_(data),
          sampler_(data.size(), options, rng),
          batch_(data, options.batch),
          // With a pool, DataParallel's shares hold the workspaces and loss gradients; ours
          // holds only the summed gradients.
          buffers_(parallel(pool) ? 0 : options.batch) {
        CTNN_REQUIRE(data.sample_size() == Net::in_size, caller,
                     "Trainer: the data set's samples have %zu features, but the model takes Net::in_size = %zu",
                     data.sample_size(), Net::in_size);
        CTNN_REQUIRE(data.target_size() == Loss::targets_per_sample(Net::out_size), caller,
                     "Trainer: the data set has %zu targets per sample, but the loss takes %zu for Net::out_size = %zu",
                     data.target_size(), Loss::targets_per_sample(Net::out_size), Net::out_size);
        if constexpr (requires { data.find_non_finite(); }) {
            if (const auto bad = data.find_non_finite())
                ctnn::detail::raise(std::invalid_argument(
                    "ctnn::train::Trainer: the training data holds " + format_float(bad->value) + " at sample " +
                    std::to_string(bad->sample) + ", " + (bad->is_target ? "target " : "feature ") +
                    std::to_string(bad->index) + " (0-based): every weight would become NaN; clean or drop that sample"));
        }
        if (parallel(pool)) parallel_ = std::make_unique<DataParallel<Net>>(*pool, options.batch);
    }

    /// One pass over the data; returns the mean of the batch losses, or NaN if the data set
    /// holds no full batch (with drop_last). Callbacks may throw; the exception leaves the
    /// epoch where it stood.
    double run_epoch() {
        if (schedule_) optimizer_.options().lr = schedule_(epochs_, base_lr_);
        sampler_.start_epoch();
        const std::size_t batches = sampler_.batches(), epoch = epochs_;
        notify(epoch_begin_, EpochBegin{epoch, batches, sampler_.options().batch, float(optimizer_.options().lr)});
        double total = 0;
        std::size_t skipped = 0;
        for (std::size_t k = 0; k < batches; ++k) {
            const auto [loss, applied] = train_batch(sampler_.batch(k));
            if (applied) {
                total += loss;
                last_finite_loss_ = loss;
            } else if (fault_policy_ == NumericFaultPolicy::stop) {
                ctnn::detail::raise(fault(epoch, k, batches, loss));
            } else {
                ++skipped;
            }
            notify(batch_end_, BatchEnd<Net>{epoch, k, batches, batch_.size(), loss, net_, gradients(), outputs(), !applied});
        }
        ++epochs_;
        const double mean =
            batches > skipped ? total / double(batches - skipped) : std::numeric_limits<double>::quiet_NaN();
        notify(epoch_end_, EpochEnd<Net>{epoch, batches, mean, net_, skipped});
        return mean;
    }

    /// What to do with a batch whose loss or gradients are not finite (default: stop).
    void on_numeric_fault(NumericFaultPolicy policy) noexcept { fault_policy_ = policy; }

    void on_epoch_begin(std::function<void(const EpochBegin&)> f) { epoch_begin_.push_back(std::move(f)); }
    void on_batch_end(std::function<void(const BatchEnd<Net>&)> f) { batch_end_.push_back(std::move(f)); }
    void on_epoch_end(std::function<void(const EpochEnd<Net>&)> f) { epoch_end_.push_back(std::move(f)); }

    /// Before every later epoch e (0-based, counting epochs_done()), sets the optimizer's lr to
    /// schedule(e, base_lr), base_lr being the optimizer's lr now: optim::StepLr, optim::CosineLr
    /// or any float(std::size_t epoch, float base_lr).
    void set_lr_schedule(optim::LrSchedule schedule) {
        schedule_ = std::move(schedule);
        base_lr_ = float(optimizer_.options().lr);
    }

    const Net& net() const noexcept { return net_; }
    std::size_t batches_per_epoch() const noexcept { return sampler_.batches(); }
    std::size_t epochs_done() const noexcept { return epochs_; }
    /// Resuming a saved run: the number of epochs it had done (the schedule's epoch index).
    void set_epochs_done(std::size_t epochs) noexcept { epochs_ = epochs; }

private:
    static bool parallel(const ThreadPool* pool) noexcept { return pool && pool->size() > 1; }

    template <class Event>
    static void notify(const std::vector<std::function<void(const Event&)>>& callbacks, const Event& event) {
        for (const auto& f : callbacks) f(event);
    }

    /// The batch's loss, and whether its update was applied (not if the loss or a gradient
    /// is not finite).
    std::pair<float, bool> train_batch(std::span<const std::uint32_t> indices) noexcept {
        if (parallel_) {  // each thread gathers its own rows of the batch
            batch_.start(data_, indices.size());
            return parallel_->train_step_if_finite(
                net_, optimizer_, loss_, batch_.inputs(), batch_.targets(), buffers_.gradients,
                [&](std::size_t first, std::size_t count) noexcept { batch_.gather_rows(data_, indices, first, count); });
        }
        batch_.gather(data_, indices);
        return train::step_if_finite(net_, optimizer_, loss_, batch_.inputs(), batch_.targets(), buffers_);
    }

    const Gradients<Net>& gradients() const noexcept { return buffers_.gradients; }
    std::span<const StepOutputs<Net>> outputs() noexcept {
        if (parallel_) return parallel_->outputs();
        single_output_ = {&buffers_.workspace, batch_.size()};
        return {&single_output_, 1};
    }

    static std::string format_float(double v) {
        char text[32];
        std::snprintf(text, sizeof text, "%.9g", v);
        return text;
    }

    NumericFault fault(std::size_t epoch, std::size_t batch, std::size_t batches, float loss) const {
        std::string what = "the loss is " + format_float(loss);
        if (std::isfinite(loss)) {
            const float* g = buffers_.gradients.data();
            for (const auto& t : Net::tensors)
                if (!kernels::all_finite(g + t.offset, t.info.size())) {
                    what = "the gradient of " + t.name() + " is not finite (the loss is " + format_float(loss) + ")";
                    break;
                }
        }
        const std::string last = std::isfinite(last_finite_loss_)
                                     ? "the last finite loss was " + format_float(last_finite_loss_)
                                     : "no batch had a finite loss yet";
        return NumericFault("ctnn::train::Trainer: training stopped at epoch " + std::to_string(epoch + 1) + ", batch " +
                                std::to_string(batch + 1) + " of " + std::to_string(batches) + " (counting from 1): " +
                                what + "; " + last +
                                ". The model keeps its weights from before this batch. A smaller learning rate often "
                                "helps; Trainer::on_numeric_fault(NumericFaultPolicy::skip_batch) skips such batches.",
                            epoch, batch, loss, last_finite_loss_);
    }

    Net& net_;
    Optimizer& optimizer_;
    Loss loss_;
    Data data_;
    BatchSampler sampler_;
    Batch<target_type> batch_;
    StepBuffers<Net> buffers_;
    std::unique_ptr<DataParallel<Net>> parallel_;
    StepOutputs<Net> single_output_{};
    std::size_t epochs_ = 0;
    NumericFaultPolicy fault_policy_ = NumericFaultPolicy::stop;
    float last_finite_loss_ = std::numeric_limits<float>::quiet_NaN();
    optim::LrSchedule schedule_;
    float base_lr_ = 0;
    std::vector<std::function<void(const EpochBegin&)>> epoch_begin_;
    std::vector<std::function<void(const BatchEnd<Net>&)>> batch_end_;
    std::vector<std::function<void(const EpochEnd<Net>&)>> epoch_end_;
};

}  // namespace ctnn::train
