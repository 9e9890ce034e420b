#pragma once
// Trainer: the epoch loop of a classifier. Each mini-batch: gather bytes into floats, forward,
// softmax cross-entropy on the byte labels, backward, optimizer step. Generic over the network
// type and any optimizer with step(net, grads) (optim::Adam, optim::Sgd). Every buffer (workspace,
// gradients, batch, loss gradient, sample order) is allocated by the constructor; an epoch
// allocates nothing.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/parameter_block.hpp"
#include "../util/thread_pool.hpp"
#include "../core/workspace.hpp"
#include "../util/rng.hpp"
#include "../loss/cross_entropy.hpp"
#include "batch.hpp"
#include "batch_sampler.hpp"
#include "data_parallel.hpp"
#include "dataset.hpp"
#include "progress.hpp"

namespace ctnn::train {

template <class O, class Net>
concept OptimizerFor = requires(O& optimizer, Net& net, const Gradients<Net>& grads) { optimizer.step(net, grads); };

template <class Net, class Optimizer>
    requires OptimizerFor<Optimizer, Net>
class Trainer {
public:
    static constexpr std::size_t classes = Net::out_size;

    /// Trains `net` (kept by reference) on `data` (a view: the bytes must outlive the trainer).
    /// `rng` orders the samples: pass the generator that initialised the net to continue its
    /// stream, as PyTorch's one global generator does. With a `pool` of more than one thread,
    /// each batch is split across its threads (DataParallel; deterministic for a thread count).
    Trainer(Net& net, Optimizer& optimizer, DatasetView data, BatchOptions options, Rng rng, ThreadPool* pool = nullptr)
        : net_(net),
          optimizer_(optimizer),
          data_(data),
          sampler_(data.size(), options, rng),
          batch_(options.batch, Net::in_size),
          // With a pool, DataParallel's shares hold the workspaces and loss gradients.
          ws_(parallel(pool) ? 0 : options.batch),
          dlogits_(parallel(pool) ? 0 : options.batch * classes) {
        CTNN_CHECK(data.sample_size == Net::in_size, "the data set's samples are not the model's input size");
        if (parallel(pool)) parallel_ = std::make_unique<DataParallel<Net>>(*pool, options.batch);
    }

    /// One pass over the data; returns the mean of the batch losses (the study note's "cost"),
    /// or NaN if the data set holds no full batch.
    double run_epoch(Progress* progress = nullptr) noexcept {
        sampler_.start_epoch();
        const std::size_t batches = sampler_.batches();
        if (progress) progress->begin(batches, sampler_.options().batch);
        double total = 0;
        for (std::size_t k = 0; k < batches; ++k) {
            total += train_batch(sampler_.batch(k));
            if (progress) progress->step(k + 1);
        }
        if (progress) progress->end();
        ++epochs_;
        return batches ? total / double(batches) : std::numeric_limits<double>::quiet_NaN();
    }

    std::size_t batches_per_epoch() const noexcept { return sampler_.batches(); }
    std::size_t epochs_done() const noexcept { return epochs_; }

private:
    static bool parallel(const ThreadPool* pool) noexcept { return pool && pool->size() > 1; }

    float train_batch(std::span<const std::uint32_t> indices) noexcept {
        batch_.gather(data_, indices);
        if (parallel_) {
            if constexpr (requires(std::size_t b) {
                              optimizer_.begin_step();
                              optimizer_.update(net_, grads_, b, b);
                          }) {
                return parallel_->train_step(net_, batch_.inputs(), batch_.labels(), grads_, optimizer_);
            } else {
                const float loss = parallel_->loss_and_gradients(net_, batch_.inputs(), batch_.labels(), grads_);
                optimizer_.step(net_, grads_);
                return loss;
            }
        }
        const std::size_t n = batch_.size();
        const auto logits = net_.train_forward(batch_.inputs(), ws_);
        const std::span<float> dlogits{dlogits_.data(), n * classes};
        const float loss = loss::softmax_cross_entropy<classes, std::uint8_t>(logits, batch_.labels(), dlogits);
        grads_.zero();
        net_.backward(batch_.inputs(), dlogits, ws_, grads_);
        optimizer_.step(net_, grads_);
        return loss;
    }

    Net& net_;
    Optimizer& optimizer_;
    DatasetView data_;
    BatchSampler sampler_;
    Batch batch_;
    Workspace<Net> ws_;
    Gradients<Net> grads_;
    AlignedBuffer dlogits_;
    std::unique_ptr<DataParallel<Net>> parallel_;
    std::size_t epochs_ = 0;
};

}  // namespace ctnn::train
