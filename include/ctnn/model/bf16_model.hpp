#pragma once
// Bf16Model<Net>: a model's inference in bfloat16, as PyTorch runs model.to(torch.bfloat16).
// Every parameter is rounded to bf16 once, when the Bf16Model is made; layers with a bf16 kernel
// (Linear) keep their weight in bf16, half the bytes to stream per sample, and multiply in bf16
// with fp32 sums (vdpbf16ps where the CPU has AVX512_BF16, exact widening to fp32 elsewhere);
// every other layer runs its fp32 kernel on bf16 values. Each layer's output is rounded to bf16,
// and a fused activation's input and output both, where PyTorch rounds them; so is the input.
// (A first layer without a bf16 kernel, a convolution, reads the input rounded in a buffer of
// the scratch, if it fits there: if it is no larger than a later layer's output; else as given.)
// Batches run on AMX where the build targets it and Linux grants it (kernels/bf16_amx.hpp).
//
// It has the inference API of a model (model/inference.hpp): forward(x, y), forward(xs, ys,
// scratch), predict, probabilities; none allocates, throws or locks.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/layer_table.hpp"
#include "../kernels/arch.hpp"
#include "../kernels/bf16.hpp"
#include "inference.hpp"
#include "model_view.hpp"

namespace ctnn {

namespace detail {

template <class L>
concept HasBf16Kernel = requires { requires L::has_bf16_kernel; };

/// Where a layer's parameters live in a Bf16Model.
struct Bf16Entry {
    bool bf16 = false;            // its first tensor is a bf16 weight, run by forward_bf16
    std::size_t rows = 0, cols = 0;  // that weight as rows x cols, packed (kernels/bf16.hpp)
    std::size_t weight_offset = 0;   // bf16 values into the weight block
    std::size_t rest_from = 0;       // floats into the layer's own tensors where the fp32 part starts
    std::size_t side_offset = 0, side_size = 0;  // that part, in floats of the fp32 block
};

template <class Net>
struct Bf16Layout {
    std::array<Bf16Entry, Net::depth> entries{};
    std::size_t weight_size = 0, side_size = 0;
};

template <class Net>
constexpr Bf16Layout<Net> bf16_layout() {
    Bf16Layout<Net> t;
    if constexpr (Net::valid) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    using L = typename Net::template layer_type<I>;
                    Bf16Entry& e = t.entries[I];
                    const std::size_t size = Net::table[I].param_size;
                    if constexpr (HasBf16Kernel<L>) {
                        constexpr TensorInfo w = L::tensors[0];
                        e.bf16 = true;
                        e.rows = w.dims[0];
                        e.cols = w.size() / w.dims[0];
                        e.weight_offset = t.weight_size;
                        t.weight_size += kernels::bf16_packed_size(e.rows, e.cols);
                        e.rest_from = L::tensors.size() > 1 ? L::tensors[1].offset : size;
                    }
                    e.side_offset = t.side_size;
                    e.side_size = size - e.rest_from;
                    t.side_size += e.side_size;
                }(),
                ...);
        }(std::make_index_sequence<Net::depth>{});
    }
    return t;
}

/// What bf16 inference reads: the packed bf16 weights and the fp32 tensors of a Bf16Model.
struct Bf16Parameters {
    const std::uint16_t* weights;
    const float* side;
};

/// y = net(x) in bf16 for `batch` rows, on Arch.
template <class Net, class Arch>
void run_inference(Bf16Parameters p, const float* x, std::size_t batch, float* y, float* slot0, float* slot1,
              float* scratch) noexcept {
    if constexpr (Net::valid) {
        constexpr Bf16Layout<Net> layout = bf16_layout<Net>();
        // A first layer without a bf16 kernel reads the input rounded in the buffer its output
        // does not use, where the input fits there (the widest output of a later layer).
        const float* first = x;
        if constexpr (!layout.entries[0].bf16 && Net::sizes.inference_width >= Net::in_size) {
            float* rounded = Net::table[0].slot == 0 ? slot1 : slot0;
            kernels::round_to_bf16<Arch>(x, batch * Net::in_size, rounded);
            first = rounded;
        }
        // Layer I, and the element-wise layer after it where the table fused the two.
        for_each_step<Net>(first, y, slot0, slot1,
                           [&]<std::size_t I>(std::integral_constant<std::size_t, I>, const float* in, float* out) {
                               using L = typename Net::template layer_type<I>;
                               constexpr LayerEntry e = Net::table[I];
                               constexpr Bf16Entry b = layout.entries[I];
                               using Op = typename StepEpilogue<Net, I>::type;
                               const float* rest = p.side + b.side_offset;
                               if constexpr (b.bf16) {
                                   L::template forward_bf16<e.in, Arch, Op>(p.weights + b.weight_offset, rest, in,
                                                                            batch, out);
                               } else {
                                   layer_forward<L, e.in, Arch>(rest, in, batch, out, scratch);
                                   kernels::detail::bf16_finish<Op, Arch>(out, batch * e.out.size());
                               }
                           });
    }
}

}  // namespace detail

template <class... Layers>
class Seq;

template <class Net, class Arch = kernels::default_arch>
class Bf16Model : public detail::InferenceApi<Bf16Model<Net, Arch>, Net> {
public:
    static constexpr detail::Bf16Layout<Net> layout = detail::bf16_layout<Net>();

    /// Zero parameters, for a loader to fill (io/safetensors.hpp reads BF16 files straight in).
    Bf16Model() : weights_(layout.weight_size), side_(layout.side_size) { kernels::amx_request(); }

    /// A model's parameters (a Seq, or a ModelView of any block), each rounded to the nearest
    /// bf16 (ties to even), as model.to(torch.bfloat16) rounds them. Allocates once.
    explicit Bf16Model(ModelView<Net> model) : Bf16Model() {
        const float* params = model.parameters();
        for (std::size_t i = 0; i < Net::depth; ++i) {
            const detail::Bf16Entry& e = layout.entries[i];
            const float* layer = params + Net::table[i].param_offset;
            for (std::size_t r = 0; r < e.rows; ++r)
                for (std::size_t c = 0; c < e.cols; ++c)
                    packed_weight(i)[kernels::bf16_packed_index(e.cols, r, c)] = kernels::to_bf16(layer[r * e.cols + c]);
            for (std::size_t k = 0; k < e.side_size; ++k)
                side_.data()[e.side_offset + k] = kernels::round_to_bf16(layer[e.rest_from + k]);
        }
    }

    /// Layer i's bf16 weight, packed: W[r][c] at kernels::bf16_packed_index(cols, r, c).
    std::uint16_t* packed_weight(std::size_t i) noexcept { return weights_.data() + layout.entries[i].weight_offset; }
    const std::uint16_t* packed_weight(std::size_t i) const noexcept {
        return weights_.data() + layout.entries[i].weight_offset;
    }
    /// Layer i's fp32 tensors (bf16 values): all of them, or those after a bf16 weight.
    float* fp32_part(std::size_t i) noexcept { return side_.data() + layout.entries[i].side_offset; }

    /// What inference reads, for a DispatchedInference (model/dispatch.hpp).
    detail::Bf16Parameters parameters() const noexcept { return {weights_.data(), side_.data()}; }

    /// Bytes of parameters inference reads: the bf16 weights and the fp32 rest.
    static constexpr std::size_t parameter_bytes =
        layout.weight_size * sizeof(std::uint16_t) + layout.side_size * sizeof(float);

private:
    friend detail::InferenceApi<Bf16Model, Net>;

    void run(const float* x, std::size_t batch, float* y, float* slot0, float* slot1, float* scratch) const noexcept {
        detail::run_inference<Net, Arch>(parameters(), x, batch, y, slot0, slot1, scratch);
    }

    AlignedArray<std::uint16_t> weights_;
    AlignedBuffer side_;
};

template <class... L>
Bf16Model(const Seq<L...>&) -> Bf16Model<Seq<L...>>;
template <class Net, class Arch>
Bf16Model(const ModelView<Net, Arch>&) -> Bf16Model<Net, Arch>;

}  // namespace ctnn
