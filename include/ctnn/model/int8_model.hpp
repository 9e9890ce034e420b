#pragma once
// Int8Model<Net>: a model's inference with int8 weights (post-training quantisation). Layers
// with an int8 kernel (Linear) keep their weight as int8, one scale per output (symmetric:
// max |w| / 127), a quarter of the bytes to stream per sample; their input is quantised to
// uint8 with a scale and zero point calibrated on data the caller gives (the range each such
// layer's input takes over it, as PyTorch's MinMaxObserver records it), the products are summed
// exactly in int32 (vpdpbusd with AVX512_VNNI or AVX-VNNI; elsewhere vpmaddwd), and the sums are
// dequantised to fp32 before the bias and the fused activation. Every other layer runs its fp32
// kernel. Outputs are fp32. (kernels/int8.hpp has the arithmetic.)
//
//   ctnn::Int8Model<Net> q(model, calibration);   // calibration: n samples, n x Net::in_size floats
//   q.forward(x, y);                              // the inference API of a model
//
// It has the inference API of a model (model/inference.hpp): forward(x, y), forward(xs, ys,
// scratch), predict, probabilities; none allocates, throws or locks. It saves to and loads from
// safetensors (io/safetensors.hpp: I8 weights, F32 scales, the zero points as I64).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include "../core/aligned_buffer.hpp"
#include "../core/check.hpp"
#include "../core/layer_table.hpp"
#include "../kernels/arch.hpp"
#include "../kernels/int8.hpp"
#include "../kernels/linear.hpp"
#include "inference.hpp"
#include "model_view.hpp"

namespace ctnn {

namespace detail {

template <class L>
concept HasInt8Kernel = requires { requires L::has_int8_kernel; };

/// Where a layer's parameters live in an Int8Model.
struct Int8Entry {
    bool int8 = false;                 // its weight (first tensor) is int8, run by forward_int8
    bool bias = false;                 // and its second tensor is a bias of `rows` values
    std::size_t bias_from = 0;         // floats into the layer's own tensors where that bias starts
    std::size_t rows = 0, cols = 0;    // that weight as rows x cols
    std::size_t weight_offset = 0;     // bytes into the int8 block (packed, kernels/int8.hpp)
    std::size_t output_offset = 0;     // into the per-output blocks: weight scales, scales, biases, offsets
    std::size_t side_offset = 0, side_size = 0;  // an fp32 layer's tensors, in floats of the fp32 block
};

template <class Net>
struct Int8Layout {
    std::array<Int8Entry, Net::depth> entries{};
    std::size_t weight_size = 0, outputs = 0, side_size = 0;
};

template <class Net>
constexpr Int8Layout<Net> int8_layout() {
    Int8Layout<Net> t;
    if constexpr (Net::valid) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    using L = typename Net::template layer_type<I>;
                    Int8Entry& e = t.entries[I];
                    if constexpr (HasInt8Kernel<L>) {
                        static_assert(L::tensors.size() <= 2, "an int8 layer has a weight and at most a bias");
                        constexpr TensorInfo w = L::tensors[0];
                        e.int8 = true;
                        e.bias = L::tensors.size() == 2;
                        e.bias_from = L::tensors.back().offset;
                        e.rows = w.dims[0];
                        e.cols = w.size() / w.dims[0];
                        e.weight_offset = t.weight_size;
                        t.weight_size += kernels::int8_packed_size(e.rows, e.cols);
                        e.output_offset = t.outputs;
                        t.outputs += round_up(e.rows, floats_per_alignment);
                    } else {
                        e.side_offset = t.side_size;
                        e.side_size = Net::table[I].param_size;
                        t.side_size += e.side_size;
                    }
                }(),
                ...);
        }(std::make_index_sequence<Net::depth>{});
    }
    return t;
}

/// What int8 inference reads: an Int8Model's packed weights; per output of its int8 layers the
/// weight scale, the bias and the scale s_x s_w (`outputs`, three arrays of layout.outputs), and
/// the offset z * sum(W8); the fp32 layers' tensors; each layer's input quantisation.
struct Int8Parameters {
    const std::int8_t* weights;
    const float* outputs;
    const std::int32_t* offsets;
    const float* side;
    const kernels::ActivationQuantization* inputs;
};

/// y = the int8 model's output for `batch` rows, on Arch.
template <class Net, class Arch>
void run_inference(const Int8Parameters& p, const float* x, std::size_t batch, float* y, float* slot0, float* slot1,
              float* scratch) noexcept {
    if constexpr (Net::valid) {
        constexpr Int8Layout<Net> layout = int8_layout<Net>();
        // Layer I, and the element-wise layer after it where the table fused the two.
        for_each_step<Net>(x, y, slot0, slot1,
                           [&]<std::size_t I>(std::integral_constant<std::size_t, I>, const float* in, float* out) {
                               using L = typename Net::template layer_type<I>;
                               constexpr LayerEntry e = Net::table[I];
                               constexpr Int8Entry q = layout.entries[I];
                               if constexpr (q.int8) {
                                   using Op = typename StepEpilogue<Net, I>::type;
                                   const float* weight_scales = p.outputs + q.output_offset;
                                   const kernels::Int8LinearParams params{
                                       p.weights + q.weight_offset, p.inputs[I].inverse(),
                                       p.inputs[I].zero_point,      weight_scales + 2 * layout.outputs,
                                       p.offsets + q.output_offset, weight_scales + layout.outputs};
                                   L::template forward_int8<e.in, Arch, Op>(params, in, batch, out);
                               } else {
                                   layer_step<Net, I, Arch>(p.side + q.side_offset, batch, in, out, scratch);
                               }
                           });
    }
}

}  // namespace detail

template <class... Layers>
class Seq;

template <class Net, class Arch = kernels::default_arch>
class Int8Model : public detail::InferenceApi<Int8Model<Net, Arch>, Net> {
public:
    static constexpr detail::Int8Layout<Net> layout = detail::int8_layout<Net>();

    /// Zero parameters, for a loader to fill (io::load_safetensors reads an int8 model's file).
    Int8Model()
        : weights_(layout.weight_size),
          outputs_(3 * layout.outputs),
          offsets_(layout.outputs),
          side_(layout.side_size) {}

    /// Quantises a model (a Seq, or a ModelView of any block): each int8 layer's weight per
    /// output, its input by the range it takes over `calibration` (n samples of Net::in_size
    /// floats, row after row; a few hundred representative inputs are plenty), run through the
    /// fp32 model. Allocates; aborts with a message if calibration is not whole samples or empty.
    Int8Model(ModelView<Net> model, std::span<const float> calibration, Caller caller = Caller::current())
        : Int8Model() {
        CTNN_REQUIRE(!calibration.empty() && calibration.size() % Net::in_size == 0, caller,
                     "Int8Model: calibration has %zu floats, not a positive whole number of samples of "
                     "Net::in_size %zu",
                     calibration.size(), Net::in_size);
        const float* params = model.parameters();
        for (std::size_t i = 0; i < Net::depth; ++i) {
            const detail::Int8Entry& e = layout.entries[i];
            const float* layer = params + Net::table[i].param_offset;
            if (!e.int8) {
                std::copy_n(layer, e.side_size, side_.data() + e.side_offset);
                continue;
            }
            for (std::size_t r = 0; r < e.rows; ++r) {
                const float scale = kernels::weight_scale(layer + r * e.cols, e.cols);
                weight_scales(i)[r] = scale;
                for (std::size_t c = 0; c < e.cols; ++c)
                    packed_weight(i)[kernels::int8_packed_index(e.cols, r, c)] =
                        kernels::quantize_weight(layer[r * e.cols + c], scale);
            }
            if (e.bias) std::copy_n(layer + e.bias_from, e.rows, biases(i));
        }
        calibrate(params, calibration);
    }

    /// Layer i's int8 weight, packed: W8[r][c] at kernels::int8_packed_index(cols, r, c).
    std::int8_t* packed_weight(std::size_t i) noexcept { return weights_.data() + layout.entries[i].weight_offset; }
    const std::int8_t* packed_weight(std::size_t i) const noexcept {
        return weights_.data() + layout.entries[i].weight_offset;
    }
    /// Layer i's weight scales (one per output: W ~ W8 * scale) and bias (zeros without one).
    float* weight_scales(std::size_t i) noexcept { return outputs_.data() + layout.entries[i].output_offset; }
    const float* weight_scales(std::size_t i) const noexcept { return outputs_.data() + layout.entries[i].output_offset; }
    float* biases(std::size_t i) noexcept { return weight_scales(i) + layout.outputs; }
    const float* biases(std::size_t i) const noexcept { return weight_scales(i) + layout.outputs; }
    /// How layer i's input is quantised.
    kernels::ActivationQuantization& input_quantization(std::size_t i) noexcept { return inputs_[i]; }
    const kernels::ActivationQuantization& input_quantization(std::size_t i) const noexcept { return inputs_[i]; }
    /// An fp32 layer's tensors, in its parameter-block layout.
    float* fp32_part(std::size_t i) noexcept { return side_.data() + layout.entries[i].side_offset; }
    const float* fp32_part(std::size_t i) const noexcept { return side_.data() + layout.entries[i].side_offset; }

    /// After changing weights, weight scales or input quantisations through the accessors above
    /// (a loader does): derives what the kernels read from them.
    void update() noexcept {
        for (std::size_t i = 0; i < Net::depth; ++i) {
            const detail::Int8Entry& e = layout.entries[i];
            if (!e.int8) continue;
            const kernels::ActivationQuantization q = inputs_[i];
            for (std::size_t r = 0; r < e.rows; ++r) {
                std::int32_t sum = 0;
                for (std::size_t c = 0; c < e.cols; ++c) sum += packed_weight(i)[kernels::int8_packed_index(e.cols, r, c)];
                scales(i)[r] = q.scale * weight_scales(i)[r];
                offsets_.data()[e.output_offset + r] = q.zero_point * sum;
            }
        }
    }

    /// What inference reads, for a DispatchedInference (model/dispatch.hpp).
    detail::Int8Parameters parameters() const noexcept {
        return {weights_.data(), outputs_.data(), offsets_.data(), side_.data(), inputs_.data()};
    }

    /// Bytes of parameters inference reads: the int8 weights, per output a scale, a bias and an
    /// offset, and the fp32 layers' tensors.
    static constexpr std::size_t parameter_bytes =
        layout.weight_size + layout.outputs * (2 * sizeof(float) + sizeof(std::int32_t)) + layout.side_size * sizeof(float);

private:
    friend detail::InferenceApi<Int8Model, Net>;

    float* scales(std::size_t i) noexcept { return weight_scales(i) + 2 * layout.outputs; }

    // Each int8 layer's input range over the calibration samples, run through the fp32 model in
    // chunks; then the quantisations and what the kernels read.
    void calibrate(const float* params, std::span<const float> calibration) {
        constexpr std::size_t chunk = 256;
        std::size_t width = Net::in_size;
        for (const auto& e : Net::table) width = std::max({width, e.in.size(), e.out.size()});
        AlignedBuffer buffers[2] = {AlignedBuffer(chunk * width), AlignedBuffer(chunk * width)};
        AlignedBuffer scratch(Net::sizes.layer_scratch ? Net::sizes.layer_scratch : 1);
        std::array<float, Net::depth> lo, hi;
        lo.fill(std::numeric_limits<float>::infinity());
        hi.fill(-std::numeric_limits<float>::infinity());
        const std::size_t samples = calibration.size() / Net::in_size;
        for (std::size_t first = 0; first < samples; first += chunk) {
            const std::size_t n = std::min(chunk, samples - first);
            const float* in = calibration.data() + first * Net::in_size;
            std::size_t next = 0;
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (
                    [&] {
                        constexpr detail::LayerEntry e = Net::table[I];
                        if constexpr (!e.fused) {
                            if (layout.entries[I].int8)
                                for (std::size_t k = 0; k < n * e.in.size(); ++k) {
                                    lo[I] = std::min(lo[I], in[k]);  // a NaN is skipped
                                    hi[I] = std::max(hi[I], in[k]);
                                }
                            float* out = buffers[next].data();
                            detail::forward_step<Net, I, Arch>(params, n, in, out, scratch.data());
                            in = out;
                            next = 1 - next;
                        }
                    }(),
                    ...);
            }(std::make_index_sequence<Net::depth>{});
        }
        for (std::size_t i = 0; i < Net::depth; ++i)
            if (layout.entries[i].int8)
                inputs_[i] = lo[i] <= hi[i] ? kernels::ActivationQuantization::from_range(lo[i], hi[i])
                                            : kernels::ActivationQuantization{};
        update();
    }

    void run(const float* x, std::size_t batch, float* y, float* slot0, float* slot1, float* scratch) const noexcept {
        detail::run_inference<Net, Arch>(parameters(), x, batch, y, slot0, slot1, scratch);
    }

    AlignedArray<std::int8_t> weights_;
    AlignedBuffer outputs_;  // weight scales, biases, scales (s_x s_o), each `layout.outputs` long
    AlignedArray<std::int32_t> offsets_;
    AlignedBuffer side_;
    std::array<kernels::ActivationQuantization, Net::depth> inputs_{};
};

template <class... L>
Int8Model(const Seq<L...>&, std::span<const float>) -> Int8Model<Seq<L...>>;
template <class Net, class Arch>
Int8Model(const ModelView<Net, Arch>&, std::span<const float>) -> Int8Model<Net, Arch>;

}  // namespace ctnn
