#pragma once
// ModelView<Net, Arch>: a model's inference API over parameters it does not own, as Eigen's Map
// gives memory it does not own the API of a matrix: a compiled-in constexpr array (the header
// export), a block inside a memory-mapped file, a Seq's own block. The block's size is checked
// at compile time where the array's size is known. Arch picks the instruction set (default: the
// best the compiler targets); a view is one pointer, cheap to copy and share between threads.
#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include "../core/errors.hpp"
#include "../core/extent.hpp"
#include "../kernels/arch.hpp"
#include "inference.hpp"

namespace ctnn {

template <class Net>
class StreamModel;

template <class Net, class Arch = kernels::default_arch>
class ModelView : public detail::InferenceApi<ModelView<Net, Arch>, Net> {
public:
    /// The parameters of a model of this network (a Seq, or another view); a model of another
    /// network is the compile error MODEL_IS_ANOTHER_NETWORK.
    template <class Model>
        requires requires(const Model& m) { { m.parameters() } -> std::convertible_to<const float*>; }
    ModelView(const Model& model) noexcept : params_(of_model(model)) {}  // NOLINT: a view of any model, implicitly

    /// A block in Net's layout: an array of exactly Net::parameter_block_size floats (a compiled-in
    /// model) or a std::span<const float, Net::parameter_block_size> over memory of your own.
    template <class Block>
        requires(!requires(const Block& b) { b.parameters(); })
    explicit ModelView(const Block& block) noexcept : params_(checked(block)) {}

    /// A StreamModel's block is packed for streams: the compile error STREAM_MODEL_IS_ONLY_FOR_STREAMS.
    template <class Of>
    ModelView(const StreamModel<Of>&) noexcept : params_(nullptr) {  // NOLINT: to report the error
        (void)error::STREAM_MODEL_IS_ONLY_FOR_STREAMS<Of>{};
    }

    const float* parameters() const noexcept { return params_; }

    /// Layer I's tensors in this block (read-only).
    template <std::size_t I>
    auto layer() const noexcept { return Net::template layer_view<I>(params_); }

private:
    friend detail::InferenceApi<ModelView, Net>;
    void run(const float* x, std::size_t batch, float* y, float* slot0, float* slot1, float* scratch) const noexcept {
        detail::run_inference<Net, Arch>(params_, x, batch, y, slot0, slot1, scratch);
    }

    template <class Model>
    static const float* of_model(const Model& model) noexcept {
        if constexpr (requires { typename Model::network; }) {
            if constexpr (!std::is_same_v<typename Model::network, Net>) {
                (void)error::MODEL_IS_ANOTHER_NETWORK<typename Model::network, Net>{};
                return nullptr;
            }
        }
        return model.parameters();
    }

    template <class Block>
    static const float* checked(const Block& block) noexcept {
        constexpr std::size_t given = detail::static_extent<const Block>();
        if constexpr (given == Net::parameter_block_size) {
            return std::data(block);
        } else {
            detail::report_extent<Net::parameter_block_size, given, error::PARAMETER_BLOCK_SIZE_DOES_NOT_MATCH_MODEL,
                                  Block>();
            return nullptr;
        }
    }

    const float* params_;
};

}  // namespace ctnn
