#pragma once
// The compile-time errors of ctnn, each a class template whose name is a greppable id and whose
// arguments carry the numbers. Instantiating one fails inside its own body, so g++ and clang put
// "In instantiation of 'struct ctnn::error::NAME<the numbers>'" on the first line a user reads.
// Look up an id in docs/errors.md.
#include <cstddef>
#include <type_traits>

namespace ctnn::error {

template <class...>
inline constexpr bool never = false;

/// Seq<> with no layers.
template <class Seq>
struct SEQ_HAS_NO_LAYERS {
    static_assert(never<Seq>, "ctnn::Seq needs at least one layer");
};

/// The type at Position of a Seq is not a layer: it lacks part of the layer protocol that
/// core/layer.hpp documents (tensors, output_shape, cpp_name, forward, backward).
template <std::size_t Position, class T>
struct NOT_A_LAYER {
    static_assert(never<T>,
                  "ctnn::Seq: this type is not a layer (see the position and type above; the layer protocol is "
                  "documented in ctnn/core/layer.hpp)");
};

/// The first layer takes the shape of what precedes it (an activation, a convolution): the Seq's
/// input shape is unknown. Start with a layer of fixed input size, such as Linear<In, Out>, or
/// declare the input: Seq<Input<C, H, W>, Conv2D<...>, ...>.
template <class FirstLayer>
struct SEQ_MUST_START_WITH_A_SIZED_LAYER {
    static_assert(never<FirstLayer>,
                  "ctnn::Seq: the input shape is unknown: start with a layer of fixed input size (e.g. "
                  "Linear<In,Out>) or declare it first, as in Seq<Input<C,H,W>, Conv2D<...>, ...>");
};

/// A layer declared with a zero size, e.g. Linear<0, 10>.
template <std::size_t Position, class Layer, std::size_t InputSize, std::size_t OutputSize>
struct LAYER_SIZE_IS_ZERO {
    static_assert(never<Layer>, "ctnn::Seq: layer sizes must be positive (see position and sizes above)");
};

/// Layer Position produces OutputSize values per sample but layer NextPosition expects InputSize.
template <std::size_t Position, class Layer, std::size_t OutputSize, std::size_t NextPosition, class NextLayer,
          std::size_t InputSize>
struct LAYER_SIZES_DO_NOT_MATCH {
    static_assert(OutputSize == InputSize,
                  "ctnn::Seq: adjacent layers disagree on the size between them (positions, layers and sizes above)");
};

/// Layer NextPosition needs an input of shape {NeedC, NeedH, NeedW} and layer Position gives it as
/// many values in another shape {C, H, W} (0 for the dimensions a shape does not have): e.g. a
/// Linear<256, 120> right after a convolution's {16, 4, 4}; put a Flatten between them.
template <std::size_t Position, class Layer, std::size_t C, std::size_t H, std::size_t W, std::size_t NextPosition,
          class NextLayer, std::size_t NeedC, std::size_t NeedH, std::size_t NeedW>
struct LAYER_SHAPES_DO_NOT_MATCH {
    static_assert(never<Layer>,
                  "ctnn::Seq: the layer's output has the size the next layer needs but not its shape (positions, "
                  "layers and shapes above); a Linear after a convolution or pooling needs a Flatten before it");
};

/// The layer at Position gets an input of shape {C, H, W} (0 for the dimensions a shape does not
/// have) but needs {NeedC, NeedH, NeedW}: e.g. a PReLU<8> with 8 slopes after a layer of 6.
template <std::size_t Position, class Layer, std::size_t C, std::size_t H, std::size_t W, std::size_t NeedC,
          std::size_t NeedH, std::size_t NeedW>
struct LAYER_INPUT_NOT_ACCEPTED {
    static_assert(never<Layer>,
                  "ctnn::Seq: this layer cannot take the input it gets (position, layer, the input's shape and "
                  "the shape it needs above)");
};

/// Conv2D<InChannels, OutChannels, Kernel, Groups<G>>: the channels are split into G groups, so G
/// must divide both InChannels and OutChannels (Groups<InChannels> is a depthwise convolution).
template <std::size_t Groups, std::size_t InChannels, std::size_t OutChannels>
struct CONV_GROUPS_DO_NOT_DIVIDE_CHANNELS {
    static_assert(InChannels % Groups == 0 && OutChannels % Groups == 0,
                  "ctnn::Conv2D: Groups<G> must divide both the input and the output channels");
};

/// forward/backward called with an input array whose size is not the model's input size.
template <std::size_t ModelInputSize, std::size_t GivenSize>
struct INPUT_SIZE_DOES_NOT_MATCH_MODEL {
    static_assert(ModelInputSize == GivenSize, "ctnn: the input array's size is not Net::in_size");
};

/// forward called with an output array whose size is not the model's output size.
template <std::size_t ModelOutputSize, std::size_t GivenSize>
struct OUTPUT_SIZE_DOES_NOT_MATCH_MODEL {
    static_assert(ModelOutputSize == GivenSize, "ctnn: the output array's size is not Net::out_size");
};

/// A ModelView<Net> (so also a Bf16Model<Net> or a DispatchedInference<Net>) made from a model
/// of another network, Given: its parameters would be read in Net's layout.
template <class Given, class Net>
struct MODEL_IS_ANOTHER_NETWORK {
    static_assert(std::is_same_v<Given, Net>,
                  "ctnn: the model is another network than Net (the layers differ): its parameters cannot be read as Net's");
};

/// A ModelView (so also a Bf16Model, an Int8Model or a DispatchedInference) made from a
/// StreamModel<Net>: its block is laid out for Stream alone (hidden weights packed); view or run
/// the model it was made from.
template <class Net>
struct STREAM_MODEL_IS_ONLY_FOR_STREAMS {
    static_assert(never<Net>, "ctnn: a StreamModel's parameters are packed for ctnn::Stream alone: make the view or "
                              "run forward on the model the StreamModel was made from");
};

/// Single-sample forward(x, y) would need Bytes of stack for the model's intermediate outputs and
/// its layers' working memory, more than Limit (ctnn::max_stack_bytes): run it through the batch
/// API with an InferenceScratch, whose memory is allocated once, by its constructor.
template <std::size_t Bytes, std::size_t Limit>
struct MODEL_TOO_LARGE_FOR_STACK_INFERENCE {
    static_assert(Bytes <= Limit, "ctnn: this model is too large for single-sample forward(x, y) on the stack; "
                                  "use forward(xs, ys, scratch) with an InferenceScratch<Net>");
};

/// The layer at Position computes forward only (it loads trained weights: GRU, LSTM), so the
/// Seq cannot train: train_forward and backward are not available for it.
template <std::size_t Position, class Layer>
struct LAYER_CANNOT_TRAIN {
    static_assert(never<Layer>, "ctnn::Seq: this model cannot train: the layer at the position above has no "
                                "backward (it runs inference with weights trained elsewhere)");
};

/// A Stream runs a model one time step at a time; the layer at Position cannot: a Stream takes
/// Conv1D without stride or padding (it keeps the last inputs the kernel reaches back to) and
/// layers that act on each time step alone (activations, PReLU, BatchNorm1d, Dropout).
template <std::size_t Position, class Layer>
struct LAYER_CANNOT_STREAM {
    static_assert(never<Layer>, "ctnn::Stream: this layer cannot run one time step at a time (position and layer "
                                "above; a Stream takes Conv1D without stride or padding, and per-step layers: "
                                "activations, PReLU, BatchNorm1d, Dropout)");
};

/// Stream<Net> needs a sequence model: Net's input declared as Input<Channels, Time>.
template <class Net>
struct STREAM_NEEDS_A_SEQUENCE_MODEL {
    static_assert(never<Net>, "ctnn::Stream: the model's input must be a sequence {C, T}: start it with Input<C, T>");
};

/// A parameter block (e.g. a compiled-in array) whose size is not Net::parameter_block_size.
template <std::size_t ModelBlockSize, std::size_t GivenSize>
struct PARAMETER_BLOCK_SIZE_DOES_NOT_MATCH_MODEL {
    static_assert(ModelBlockSize == GivenSize, "ctnn: the parameter array's size is not Net::parameter_block_size");
};

/// forward called with something whose size is only known at run time (a std::vector, a
/// dynamic std::span): pass std::array, a C array or std::span<float, N>, or use the batch API.
template <class Argument>
struct ARGUMENT_NEEDS_A_FIXED_SIZE {
    static_assert(never<Argument>, "ctnn: single-sample forward needs a fixed-size array or std::span<float, N>");
};

}  // namespace ctnn::error
