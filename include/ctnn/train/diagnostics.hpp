#pragma once
// Diagnostics: what happens inside a network while it trains, per layer, as a Trainer callback.
//
//   weighted layers (a tensor with the role `weight`):  mean |gradient|, gradient norm, weight
//       norm and update-to-weight ratio ||W_after - W_before|| / ||W_after||
//   activations (layers with an epilogue_op):  the fraction of outputs that are inactive, where
//       the slope is at most a threshold, and the fraction of units inactive for every sample
//       of the epoch: ReLU's dead units (output 0), LeakyReLU's negative side, Sigmoid's and
//       Tanh's saturation (slope at most 1% of its largest: sigmoid beyond about |x| > 4.6,
//       tanh beyond |x| > 3.0)
//
// Per epoch, the gradient figures are means over the epoch's batches, the weight norm is the one
// at its end, and the activation figures count every sample of the epoch. With per_batch, each
// batch gets a record too. Off unless attached: a Trainer without it does none of this work.
// Attached, each batch costs one pass over the weights and gradients and one over the
// activations' outputs (docs/diagnostics.md has the measured cost).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "../core/layer.hpp"
#include "../core/parameter_block.hpp"
#include "../core/tensor_info.hpp"
#include "../kernels/statistics.hpp"
#include "step.hpp"
#include "trainer.hpp"

namespace ctnn::train {

struct DiagnosticsOptions {
    /// An activation output is inactive when the slope there is at most this fraction of the
    /// activation's largest slope (LeakyReLU: on its negative side, whatever this says).
    float saturation = 0.01f;
    /// Also keep one record per batch (batches()), not only per epoch.
    bool per_batch = false;
};

struct WeightDiagnostics {
    std::size_t position = 0;  // the layer's position in the Seq
    std::string layer;         // "Linear<784, 256>"
    std::string tensor;        // "0.weight", as PyTorch names it
    double grad_mean_abs = 0;  // mean |dloss/dW| over the tensor's elements
    double grad_norm = 0;      // ||dloss/dW||, the Euclidean (Frobenius) norm
    double weight_norm = 0;    // ||W|| after the update
    double update_ratio = 0;   // ||W_after - W_before|| / ||W_after||: about 1e-3 is healthy
};

struct ActivationDiagnostics {
    std::size_t position = 0;
    std::string layer;       // "ReLU"
    std::size_t units = 0;   // outputs per sample
    double inactive = 0;     // fraction of the outputs (samples x units) that were inactive
    double dead = 0;         // fraction of the units inactive for every sample
    std::size_t dead_units = 0;
};

struct DiagnosticsRecord {
    static constexpr std::size_t whole_epoch = std::size_t(-1);
    std::size_t epoch = 0;                // 0-based
    std::size_t batch = whole_epoch;      // 0-based within the epoch, or whole_epoch
    std::size_t batches = 0;              // batches summarised
    std::vector<WeightDiagnostics> weights;
    std::vector<ActivationDiagnostics> activations;

    /// Dead units over every activation layer: their count over all units (0 if none).
    double dead_fraction() const noexcept {
        std::size_t dead = 0, units = 0;
        for (const auto& a : activations) dead += a.dead_units, units += a.units;
        return units ? double(dead) / double(units) : 0.0;
    }
    /// Inactive outputs over every activation layer (each layer weighted by its units).
    double inactive_fraction() const noexcept {
        double inactive = 0;
        std::size_t units = 0;
        for (const auto& a : activations) inactive += a.inactive * double(a.units), units += a.units;
        return units ? inactive / double(units) : 0.0;
    }
};

template <class Net>
class Diagnostics {
public:
    explicit Diagnostics(DiagnosticsOptions options = {}) : options_(options) {
        for (const auto& t : Net::tensors)
            if (t.info.role == TensorRole::weight) {
                WeightDiagnostics w;
                w.position = t.position;
                w.layer = layer_name(t.position);
                w.tensor = t.name();
                weights_.push_back({std::move(w), t.offset, t.info.size()});
            }
        for_each_activation([&]<std::size_t I, class Op>() {
            constexpr std::size_t units = Net::table[I].out.size();
            ActivationDiagnostics a;
            a.position = I;
            a.layer = layer_name(I);
            a.units = units;
            activations_.push_back({std::move(a), std::vector<float>(units), std::vector<float>(units)});
        });
    }

    /// Registers with `trainer` (on_batch_end, on_epoch_end) and starts from its model's weights.
    /// The Diagnostics must outlive the trainer's use of it.
    template <class Trainer>
    void attach(Trainer& trainer) {
        start(trainer.net());
        trainer.on_batch_end([this](const BatchEnd<Net>& b) { observe(b); });
        trainer.on_epoch_end([this](const EpochEnd<Net>& e) { end_epoch(e.epoch); });
    }

    /// Takes the weights the next update starts from (attach calls it).
    void start(const Net& net) {
        previous_.assign(net.parameters(), net.parameters() + Net::parameter_block_size);
    }

    /// One batch, after its update. Skipped batches (numeric faults) are left out.
    void observe(const BatchEnd<Net>& b) {
        if (b.skipped) return;
        if (previous_.empty()) {
            start(b.net);  // never started: this batch's update cannot be measured
        } else {
            measure_weights(b);
            ++weight_batches_;
        }
        measure_activations(b);
        ++batches_;
        if (options_.per_batch) batch_records_.push_back(batch_record(b.epoch, b.batch));
    }

    /// Closes the epoch: its record joins epochs() and the sums start again.
    void end_epoch(std::size_t epoch) {
        DiagnosticsRecord r;
        r.epoch = epoch;
        r.batches = batches_;
        const double n = weight_batches_ ? double(weight_batches_) : 1.0;
        for (auto& w : weights_) {
            WeightDiagnostics d = w.info;
            d.grad_mean_abs = w.sum.grad_mean_abs / n;
            d.grad_norm = w.sum.grad_norm / n;
            d.update_ratio = w.sum.update_ratio / n;
            d.weight_norm = w.last.weight_norm;
            r.weights.push_back(std::move(d));
            w.sum = {};
        }
        for (auto& a : activations_) {
            r.activations.push_back(activation_record(a, a.epoch_inactive, a.epoch_outputs, a.epoch_active));
            a.epoch_inactive = a.epoch_outputs = 0;
            std::fill(a.epoch_active.begin(), a.epoch_active.end(), 0.0f);
        }
        batches_ = weight_batches_ = 0;
        epoch_records_.push_back(std::move(r));
    }

    const std::vector<DiagnosticsRecord>& epochs() const noexcept { return epoch_records_; }
    /// One record per batch, with options.per_batch (empty otherwise).
    const std::vector<DiagnosticsRecord>& batches() const noexcept { return batch_records_; }
    const DiagnosticsOptions& options() const noexcept { return options_; }

private:
    struct WeightState {
        WeightDiagnostics info;
        std::size_t offset, size;
        WeightDiagnostics sum{}, last{};  // over the epoch's batches; the last batch
    };
    struct ActivationState {
        ActivationDiagnostics info;
        std::vector<float> epoch_active, batch_active;  // 1 where a unit was active
        std::size_t epoch_inactive = 0, epoch_outputs = 0, batch_inactive = 0, batch_outputs = 0;
    };

    /// f.template operator()<I, Op>() for each position I whose layer has an epilogue_op.
    template <class F>
    static void for_each_activation(F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    if constexpr (requires { typename Net::template layer_type<I>::epilogue_op; })
                        if constexpr (Net::table[I].stored)
                            f.template operator()<I, typename Net::template layer_type<I>::epilogue_op>();
                }(),
                ...);
        }(std::make_index_sequence<Net::depth>{});
    }

    /// The name of the layer at `position`, as files and messages spell it.
    static std::string layer_name(std::size_t position) {
        static const auto names = []<std::size_t... I>(std::index_sequence<I...>) {
            return std::array<std::string, Net::depth>{ctnn::layer_name<typename Net::template layer_type<I>>()...};
        }(std::make_index_sequence<Net::depth>{});
        return names[position];
    }

    void measure_weights(const BatchEnd<Net>& b) {
        const float* w = b.net.parameters();
        const float* g = b.gradients.data();
        for (auto& s : weights_) {
            const auto sums = kernels::weight_sums(g + s.offset, w + s.offset, previous_.data() + s.offset, s.size);
            WeightDiagnostics& d = s.last;
            d.grad_mean_abs = sums.grad_abs / double(s.size);
            d.grad_norm = std::sqrt(sums.grad_square);
            d.weight_norm = std::sqrt(sums.weight_square);
            d.update_ratio = d.weight_norm > 0 ? std::sqrt(sums.update_square) / d.weight_norm : 0.0;
            s.sum.grad_mean_abs += d.grad_mean_abs;
            s.sum.grad_norm += d.grad_norm;
            s.sum.update_ratio += d.update_ratio;
        }
    }

    void measure_activations(const BatchEnd<Net>& b) {
        std::size_t k = 0;
        for_each_activation([&]<std::size_t I, class Op>() {
            ActivationState& a = activations_[k++];
            const std::size_t units = a.info.units;
            const float threshold = kernels::inactive_threshold<Op>(options_.saturation);
            float* flags = options_.per_batch ? a.batch_active.data() : a.epoch_active.data();
            if (options_.per_batch) std::fill(a.batch_active.begin(), a.batch_active.end(), 0.0f);
            std::size_t inactive = 0, outputs = 0;
            for (const StepOutputs<Net>& part : b.outputs) {
                inactive += kernels::count_inactive<Op>(part.workspace->activations(I), part.rows, units, threshold, flags);
                outputs += part.rows * units;
            }
            a.epoch_inactive += inactive;
            a.epoch_outputs += outputs;
            a.batch_inactive = inactive;
            a.batch_outputs = outputs;
            if (options_.per_batch)
                for (std::size_t u = 0; u < units; ++u) a.epoch_active[u] = std::max(a.epoch_active[u], a.batch_active[u]);
        });
    }

    static ActivationDiagnostics activation_record(const ActivationState& a, std::size_t inactive, std::size_t outputs,
                                                   const std::vector<float>& active) {
        ActivationDiagnostics d = a.info;
        d.inactive = outputs ? double(inactive) / double(outputs) : 0.0;
        for (const float f : active) d.dead_units += f == 0.0f;
        d.dead = outputs ? double(d.dead_units) / double(d.units) : 0.0;
        if (!outputs) d.dead_units = 0;
        return d;
    }

    DiagnosticsRecord batch_record(std::size_t epoch, std::size_t batch) const {
        DiagnosticsRecord r;
        r.epoch = epoch;
        r.batch = batch;
        r.batches = 1;
        for (const auto& w : weights_) {
            WeightDiagnostics d = w.last;
            d.position = w.info.position;
            d.layer = w.info.layer;
            d.tensor = w.info.tensor;
            r.weights.push_back(std::move(d));
        }
        for (const auto& a : activations_)
            r.activations.push_back(activation_record(a, a.batch_inactive, a.batch_outputs, a.batch_active));
        return r;
    }

    DiagnosticsOptions options_;
    std::vector<WeightState> weights_;
    std::vector<ActivationState> activations_;
    std::vector<float> previous_;  // the weights before the last update (whole parameter block)
    std::size_t batches_ = 0, weight_batches_ = 0;
    std::vector<DiagnosticsRecord> epoch_records_, batch_records_;
};

// ---------------------------------------------------------------- reports

/// A compact table of one record (per weighted layer, then per activation) on `out`.
inline void print_diagnostics(std::FILE* out, const DiagnosticsRecord& r) {
    if (r.batch == DiagnosticsRecord::whole_epoch)
        std::fprintf(out, "diagnostics, epoch %zu (%zu batches)\n", r.epoch + 1, r.batches);
    else
        std::fprintf(out, "diagnostics, epoch %zu, batch %zu\n", r.epoch + 1, r.batch + 1);
    if (!r.weights.empty()) std::fprintf(out, "  %-26s %11s %11s %11s %11s\n", "weights", "mean|grad|", "||grad||", "||W||", "update/W");
    for (const auto& w : r.weights)
        std::fprintf(out, "  %-26s %11.3e %11.3e %11.3e %11.3e\n", (std::to_string(w.position) + " " + w.layer).c_str(),
                     w.grad_mean_abs, w.grad_norm, w.weight_norm, w.update_ratio);
    if (!r.activations.empty()) std::fprintf(out, "  %-26s %11s %11s %11s\n", "activations", "inactive", "dead", "dead units");
    for (const auto& a : r.activations)
        std::fprintf(out, "  %-26s %10.2f%% %10.2f%% %5zu/%zu\n", (std::to_string(a.position) + " " + a.layer).c_str(),
                     100 * a.inactive, 100 * a.dead, a.dead_units, a.units);
}

/// The CSV column names of a record's figures, comma-separated, no trailing comma:
/// layer<P>_grad_mean_abs, layer<P>_grad_norm, layer<P>_weight_norm, layer<P>_update_ratio per
/// weighted layer at position P, then layer<P>_inactive, layer<P>_dead per activation.
inline std::string diagnostics_csv_header(const DiagnosticsRecord& r) {
    std::string h;
    auto add = [&](std::size_t position, const char* what) {
        if (!h.empty()) h += ',';
        h += "layer" + std::to_string(position) + "_" + what;
    };
    for (const auto& w : r.weights)
        for (const char* what : {"grad_mean_abs", "grad_norm", "weight_norm", "update_ratio"}) add(w.position, what);
    for (const auto& a : r.activations)
        for (const char* what : {"inactive", "dead"}) add(a.position, what);
    return h;
}

/// The values for diagnostics_csv_header's columns.
inline std::string diagnostics_csv_values(const DiagnosticsRecord& r) {
    std::string v;
    char text[32];
    auto add = [&](double x) {
        std::snprintf(text, sizeof text, "%s%.6g", v.empty() ? "" : ",", x);
        v += text;
    };
    for (const auto& w : r.weights) {
        add(w.grad_mean_abs);
        add(w.grad_norm);
        add(w.weight_norm);
        add(w.update_ratio);
    }
    for (const auto& a : r.activations) {
        add(a.inactive);
        add(a.dead);
    }
    return v;
}

}  // namespace ctnn::train
