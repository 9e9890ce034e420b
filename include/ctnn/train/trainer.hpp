#pragma once
// Trainer: the epoch loop, generic over the network, the optimizer (optim/optimizer.hpp), the
// loss (loss/loss.hpp) and the data set (dataset.hpp). Each mini-batch: gather the samples the
// BatchSampler picks, then train::step (or, with a ThreadPool of more than one thread,
// DataParallel::train_step). Every buffer (workspace, gradients, batch, loss gradient, sample
// order) is allocated by the constructor; an epoch allocates nothing.
//
// The library never prints: progress bars, logs, validation and diagnostics are callbacks,
// called on the training thread between batches:
//   on_epoch_begin(f)   f(const EpochBegin&)       before an epoch's first batch
//   on_batch_end(f)     f(const BatchEnd<Net>&)    after each batch's update
//   on_epoch_end(f)     f(const EpochEnd<Net>&)    after an epoch's last batch
// Each call adds a callback; several run in the order added. Progress (progress.hpp) is a
// ready-made one.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>
#include "../core/check.hpp"
#include "../core/parameter_block.hpp"
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
};

template <class Net>
struct EpochEnd {
    std::size_t epoch;    // 0-based index of the epoch just finished
    std::size_t batches;  // batches it ran
    double mean_loss;     // the mean of its batch losses (NaN without a batch)
    const Net& net;
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
        for (std::size_t k = 0; k < batches; ++k) {
            const float loss = train_batch(sampler_.batch(k));
            total += loss;
            notify(batch_end_, BatchEnd<Net>{epoch, k, batches, batch_.size(), loss, net_, buffers_.gradients});
        }
        ++epochs_;
        const double mean = batches ? total / double(batches) : std::numeric_limits<double>::quiet_NaN();
        notify(epoch_end_, EpochEnd<Net>{epoch, batches, mean, net_});
        return mean;
    }

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

    float train_batch(std::span<const std::uint32_t> indices) noexcept {
        batch_.gather(data_, indices);
        if (parallel_)
            return parallel_->train_step(net_, optimizer_, loss_, batch_.inputs(), batch_.targets(), buffers_.gradients);
        return train::step(net_, optimizer_, loss_, batch_.inputs(), batch_.targets(), buffers_);
    }

    Net& net_;
    Optimizer& optimizer_;
    Loss loss_;
    Data data_;
    BatchSampler sampler_;
    Batch<target_type> batch_;
    StepBuffers<Net> buffers_;
    std::unique_ptr<DataParallel<Net>> parallel_;
    std::size_t epochs_ = 0;
    optim::LrSchedule schedule_;
    float base_lr_ = 0;
    std::vector<std::function<void(const EpochBegin&)>> epoch_begin_;
    std::vector<std::function<void(const BatchEnd<Net>&)>> batch_end_;
    std::vector<std::function<void(const EpochEnd<Net>&)>> epoch_end_;
};

}  // namespace ctnn::train
