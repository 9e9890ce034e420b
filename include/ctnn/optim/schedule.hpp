#pragma once
// Learning-rate schedules: the learning rate of an epoch as a function of the epoch index
// (0-based) and the base learning rate (the optimizer's lr when training started). The Trainer
// sets optimizer.options().lr from its schedule before every epoch, as calling a torch
// lr_scheduler's step() after every epoch does. Any callable float(std::size_t epoch, float base_lr)
// is a schedule; these two mirror torch.optim.lr_scheduler.
#include <cmath>
#include <cstddef>
#include <functional>
#include <numbers>

namespace ctnn::optim {

/// A learning-rate schedule: lr of epoch `epoch` (0-based) given the base lr.
using LrSchedule = std::function<float(std::size_t epoch, float base_lr)>;

/// torch.optim.lr_scheduler.StepLR: base_lr * gamma^(epoch / step_size), integer division.
struct StepLr {
    std::size_t step_size = 1;
    float gamma = 0.1f;
    float operator()(std::size_t epoch, float base_lr) const noexcept {
        return float(double(base_lr) * std::pow(double(gamma), double(epoch / (step_size ? step_size : 1))));
    }
};

/// torch.optim.lr_scheduler.CosineAnnealingLR (its closed form): from base_lr at epoch 0 down to
/// eta_min at epoch t_max, eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2.
/// Past t_max the cosine rises again, as in torch.
struct CosineLr {
    std::size_t t_max = 1;
    float eta_min = 0.0f;
    float operator()(std::size_t epoch, float base_lr) const noexcept {
        const double phase = std::numbers::pi * double(epoch) / double(t_max ? t_max : 1);
        return float(eta_min + (double(base_lr) - eta_min) * (1.0 + std::cos(phase)) / 2.0);
    }
};

}  // namespace ctnn::optim
