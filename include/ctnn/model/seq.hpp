#pragma once
// Seq<Layers...>: a network as a type. The layer list is folded once, at compile time, into
// `table` (shapes, offsets, fusion, buffers; see core/layer_table.hpp), after each type has been
// checked against the layer protocol (core/layer.hpp); a wrong declaration stops there with one
// error naming the layers and sizes. The object owns one aligned parameter block on the heap
// (allocated once, by the constructor), so a Seq is small wherever it lives: put it on the stack.
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/layer_table.hpp"
#include "../core/parameter_block.hpp"
#include "../core/tensor_info.hpp"
#include "../core/workspace.hpp"
#include "../kernels/arch.hpp"
#include "inference.hpp"
#include "model_view.hpp"
#include "training_pass.hpp"

namespace ctnn {

namespace detail {
/// One entry of a model's tensor table: the tensor PyTorch would call "<position>.<name>".
struct ModelTensor {
    std::size_t position;
    TensorInfo info;
    std::size_t offset;  // floats from the start of the parameter block
    std::string name() const { return std::to_string(position) + "." + std::string(info.name); }
};
}  // namespace detail

template <class... Layers>
class Seq : detail::Report<Seq<Layers...>, detail::diagnose<Layers...>().problem, detail::diagnose<Layers...>().position,
                           Layers...>,
            public detail::InferenceApi<Seq<Layers...>, Seq<Layers...>> {
public:
    /// False for a declaration that failed its checks (the base above then is the error that
    /// says why); everything else is then inert, so no follow-on errors.
    static constexpr bool valid = detail::diagnose<Layers...>().problem == detail::Problem::none;
    /// Layers, by position (an Input<...> in front declares the input shape and is not one).
    static constexpr std::size_t depth = detail::SeqLayers<Layers...>::depth;
    static constexpr std::array<detail::LayerEntry, depth> table = detail::make_layer_table<Layers...>();
    static constexpr detail::TableSizes<depth> sizes{table};

    template <std::size_t I>
    using layer_type = typename detail::SeqLayers<Layers...>::template at<I>;
    /// Whether the declaration starts with an Input<...> marker, and its C++ spelling ("" if not).
    static constexpr bool has_input_marker = detail::SeqLayers<Layers...>::marked;
    static std::string input_cpp_name() {
        if constexpr (has_input_marker) return detail::type_at<0, Layers...>::cpp_name();
        else return {};
    }

    static constexpr Shape input_shape = valid ? table.front().in : Shape{};
    static constexpr Shape output_shape = valid ? table.back().out : Shape{};
    static constexpr std::size_t in_size = input_shape.size();
    static constexpr std::size_t out_size = output_shape.size();
    /// Floats in the parameter block: the tensors with the 64-byte alignment padding between them.
    static constexpr std::size_t parameter_block_size = sizes.parameter_block;

    /// Every tensor, in layer order, with its PyTorch nn.Sequential name and place in the block.
    static constexpr auto tensors = [] {
        if constexpr (!valid) {
            return std::array<detail::ModelTensor, 0>{};
        } else {
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                std::array<detail::ModelTensor, (std::size_t{0} + ... + layer_type<I>::tensors.size())> out{};
                std::size_t k = 0;
                auto add = [&]<std::size_t Position>() {
                    for (const TensorInfo& t : layer_type<Position>::tensors)
                        out[k++] = {Position, t, table[Position].param_offset + t.offset};
                };
                (add.template operator()<I>(), ...);
                return out;
            }(std::make_index_sequence<depth>{});
        }
    }();
    /// Parameters as PyTorch counts them (numel of every trainable tensor: buffers such as
    /// running statistics are not parameters), without padding.
    static constexpr std::size_t parameter_count = [] {
        std::size_t n = 0;
        for (const auto& t : tensors)
            if (t.info.trainable()) n += t.info.size();
        return n;
    }();

    /// The parts of the parameter block optimizers update, as [begin, end) ranges of floats:
    /// everything but buffers (running statistics). One range for a model without buffers.
    static constexpr auto trainable_ranges = [] {
        constexpr std::size_t count = [] {
            std::size_t k = 0;
            bool open = false;
            for (const auto& t : tensors) {
                if (t.info.trainable() && !open) ++k;
                open = t.info.trainable();
            }
            return k;
        }();
        std::array<std::pair<std::size_t, std::size_t>, count> out{};
        std::size_t k = 0;
        bool open = false;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const auto& t = tensors[i];
            if (!t.info.trainable()) {
                open = false;
                continue;
            }
            // Up to the next tensor (the padding after it is never read) or the block's end.
            const std::size_t end = i + 1 < tensors.size() ? tensors[i + 1].offset : parameter_block_size;
            if (open) out[k - 1].second = end;
            else out[k++] = {t.offset, end};
            open = true;
        }
        return out;
    }();
    /// Whether training updates buffers after each step (BatchNorm's running statistics):
    /// update_running_statistics then has work to do.
    /// Whether every layer has a backward (GRU and LSTM run inference only).
    static constexpr std::size_t first_untrainable = [] {
        if constexpr (!valid) return depth;
        else
            return []<std::size_t... I>(std::index_sequence<I...>) {
                constexpr bool ok[] = {trainable_layer<layer_type<I>>..., true};
                for (std::size_t i = 0; i < depth; ++i)
                    if (!ok[i]) return i;
                return depth;
            }(std::make_index_sequence<depth>{});
    }();
    static constexpr bool trainable = first_untrainable == depth;

    static constexpr bool has_running_statistics = [] {
        if constexpr (!valid) return false;
        else
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                return (false || ... || has_buffer_update<layer_type<I>>);
            }(std::make_index_sequence<depth>{});
    }();

    /// Zero parameters; see ctnn::init for the initialisers.
    Seq() : params_(parameter_block_size) {}

    float* parameters() noexcept { return params_.data(); }
    const float* parameters() const noexcept { return params_.data(); }

    /// Views of layer I's tensors (`weight` Out x In row-major and `bias` for a Linear).
    template <std::size_t I>
    auto layer() noexcept { return layer_view<I>(params_.data()); }
    template <std::size_t I>
    auto layer() const noexcept { return layer_view<I>(params_.data()); }
    /// The same views into any block of this model's layout (gradients, optimizer state, an
    /// embedded constant array); a pointer to the layer's first tensor for a layer without view().
    template <std::size_t I, class T>
    static auto layer_view(T* block) noexcept {
        if constexpr (requires { layer_type<I>::view(block); }) return layer_type<I>::view(block + table[I].param_offset);
        else return block + table[I].param_offset;
    }

    /// This model's inference API for another instruction set: view<xsimd::sse2>().forward(x, y).
    template <class Arch = kernels::default_arch>
    ModelView<Seq, Arch> view() const noexcept { return ModelView<Seq, Arch>(*this); }

    // ---------------------------------------------------------------- training

    /// Forward for training: keeps what backward needs in `ws`. x holds n x in_size floats, for
    /// any n up to ws.max_batch(); returns the n x out_size outputs, which live in `ws`.
    std::span<const float> train_forward(std::span<const float> x, Workspace<Seq>& ws,
                                         Caller caller = Caller::current()) const noexcept {
        if constexpr (!trainable) {
            [[maybe_unused]] error::LAYER_CANNOT_TRAIN<first_untrainable, layer_type<first_untrainable>> cannot_train;
            return {};
        } else {
        const std::size_t batch = batch_of(x, ws, caller, "train_forward");
        detail::train_forward_pass<Seq, kernels::default_arch>(params_.data(), x.data(), batch, ws,
                                                               ws.next_training_step());
        return {ws.activations(depth - 1), batch * out_size};
        }
    }

    /// Backward through the batch last given to train_forward (the same x): dy (n x out_size) is
    /// the loss gradient at the output. Adds the parameter gradients to `grads` and, if dx is not
    /// empty, writes the input gradient (n x in_size) there.
    void backward(std::span<const float> x, std::span<const float> dy, Workspace<Seq>& ws, Gradients<Seq>& grads,
                  std::span<float> dx = {}, Caller caller = Caller::current()) const noexcept {
        if constexpr (!trainable) {
            [[maybe_unused]] error::LAYER_CANNOT_TRAIN<first_untrainable, layer_type<first_untrainable>> cannot_train;
        } else {
        const std::size_t batch = batch_of(x, ws, caller, "backward");
        CTNN_REQUIRE(dy.size() == batch * out_size, caller,
                     "backward: %zu samples need a dy of %zu floats (n x Net::out_size %zu), but dy has %zu", batch,
                     batch * out_size, out_size, dy.size());
        CTNN_REQUIRE(dx.empty() || dx.size() == batch * in_size, caller,
                     "backward: dx must be empty or hold %zu floats (n x Net::in_size %zu), but it has %zu",
                     batch * in_size, in_size, dx.size());
        detail::backward_pass<Seq, kernels::default_arch>(params_.data(), x.data(), dy.data(), batch, ws, grads.data(),
                                                          dx.empty() ? nullptr : dx.data());
        }
    }

    /// Folds the batch statistics of the last train_forward into the running statistics
    /// (BatchNorm's running_mean, running_var, num_batches_tracked), as PyTorch's training-mode
    /// forward does. train::step, DataParallel and the Trainer call it after each applied step;
    /// a loop of your own calls it after backward. Nothing to do (and free) for a model without
    /// such buffers.
    void update_running_statistics(const Workspace<Seq>& ws) noexcept {
        const Workspace<Seq>* one = &ws;
        update_running_statistics(std::span<const Workspace<Seq>* const>(&one, 1));
    }
    /// The same for a batch trained in shares (one workspace per thread, each having run
    /// train_forward on its share): the shares' statistics are combined into the batch's.
    void update_running_statistics(std::span<const Workspace<Seq>* const> shares) noexcept {
        if constexpr (has_running_statistics) {
            CTNN_CHECK(shares.size() <= detail::max_shares, "update_running_statistics: at most 64 shares");
            detail::update_buffers_pass<Seq>(params_.data(), shares.size(),
                                             [&](std::size_t k, std::size_t i) { return shares[k]->train_state(i); });
        }
    }

private:
    AlignedBuffer params_;

    friend detail::InferenceApi<Seq, Seq>;
    void run(const float* x, std::size_t batch, float* y, float* slot0, float* slot1, float* scratch) const noexcept {
        detail::run_inference<Seq, kernels::default_arch>(params_.data(), x, batch, y, slot0, slot1, scratch);
    }

    static std::size_t batch_of(std::span<const float> x, const Workspace<Seq>& ws, Caller caller,
                                const char* what) noexcept {
        const std::size_t batch = x.size() / in_size;
        CTNN_REQUIRE(x.size() % in_size == 0, caller,
                     "%s: x has %zu floats, not a whole number of samples of Net::in_size %zu", what, x.size(), in_size);
        CTNN_REQUIRE(batch <= ws.max_batch(), caller, "%s: a batch of %zu samples, but the Workspace holds at most %zu",
                     what, batch, ws.max_batch());
        return batch;
    }
};

}  // namespace ctnn
