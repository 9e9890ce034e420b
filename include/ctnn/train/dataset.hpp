#pragma once
// Data sets for training and evaluation. A data set is anything with this interface (the
// concept Dataset), read sample by sample into a Batch, never copied as a whole:
//
//   D::target_type              float (regression, binary targets) or an integer type (class labels)
//   d.size()                    number of samples
//   d.sample_size()             features per sample: the network's in_size
//   d.target_size()             targets per sample: 1 class label, or out_size floats
//   d.read(i, features, targets)
//                               writes sample i's sample_size() features and target_size()
//                               targets into the two spans; noexcept, no allocation; a
//                               Trainer with a ThreadPool calls it from its threads at once
//                               (a const call, so as safe as the standard library's)
//   d.slice(first, count)       samples [first, first + count) as the same type, without copying
//
// A data set may also offer d.find_non_finite() (DataView does): the Trainer calls it once and
// refuses data holding a NaN or infinity, naming where it is.
//
// Two views are provided, neither owning its memory (it must outlive the view):
// DataView<Target> over float features, and ByteImageView over images stored as bytes with a
// byte label each (MNIST's IDX files), read as byte / 255: a quarter of the float size (MNIST's
// 60000 images: 47 MB instead of 188 MB), converted per batch.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include "../core/check.hpp"

namespace ctnn::train {

template <class D>
concept Dataset = requires(const D& data, std::size_t index, std::span<float> features,
                           std::span<typename D::target_type> targets) {
    requires std::is_arithmetic_v<typename D::target_type>;
    { data.size() } -> std::same_as<std::size_t>;
    { data.sample_size() } -> std::same_as<std::size_t>;
    { data.target_size() } -> std::same_as<std::size_t>;
    data.read(index, features, targets);
    { data.slice(index, index) } -> std::same_as<D>;
};

/// Where a data set holds a NaN or an infinity (find_non_finite).
struct NonFinite {
    std::size_t sample;  // 0-based
    std::size_t index;   // the feature's (or target's) index within the sample
    bool is_target;
    double value;
};

/// Float features (one row of sample_size per sample) and targets (target_size per sample):
/// Target = float for regression or BCE, an integer type for class labels.
template <class Target>
class DataView {
public:
    using target_type = Target;

    DataView() = default;
    DataView(std::span<const float> features, std::span<const Target> targets, std::size_t sample_size,
             std::size_t target_size = 1, Caller caller = Caller::current()) noexcept
        : features_(features), targets_(targets), sample_size_(sample_size), target_size_(target_size) {
        CTNN_REQUIRE(target_size > 0 && targets.size() % target_size == 0, caller,
                     "DataView: %zu targets are not a whole number of samples of %zu targets each", targets.size(),
                     target_size);
        CTNN_REQUIRE(features.size() == size() * sample_size, caller,
                     "DataView: %zu samples of %zu features need %zu floats, but features has %zu", size(),
                     sample_size, size() * sample_size, features.size());
    }

    std::size_t size() const noexcept { return target_size_ ? targets_.size() / target_size_ : 0; }
    bool empty() const noexcept { return size() == 0; }
    std::size_t sample_size() const noexcept { return sample_size_; }
    std::size_t target_size() const noexcept { return target_size_; }
    std::span<const float> features(std::size_t i) const noexcept { return features_.subspan(i * sample_size_, sample_size_); }
    std::span<const Target> targets(std::size_t i) const noexcept { return targets_.subspan(i * target_size_, target_size_); }

    /// The first NaN or infinity among the features (then the float targets), if any.
    std::optional<NonFinite> find_non_finite() const noexcept {
        for (std::size_t i = 0; i < features_.size(); ++i)
            if (!std::isfinite(features_[i])) return NonFinite{i / sample_size_, i % sample_size_, false, features_[i]};
        if constexpr (std::is_floating_point_v<Target>)
            for (std::size_t i = 0; i < targets_.size(); ++i)
                if (!std::isfinite(targets_[i])) return NonFinite{i / target_size_, i % target_size_, true, double(targets_[i])};
        return std::nullopt;
    }

    void read(std::size_t i, std::span<float> features, std::span<Target> targets) const noexcept {
        CTNN_CHECK(i < size(), "sample index out of range");
        std::copy_n(features_.data() + i * sample_size_, sample_size_, features.data());
        std::copy_n(targets_.data() + i * target_size_, target_size_, targets.data());
    }
    DataView slice(std::size_t first, std::size_t count) const noexcept {
        CTNN_CHECK(first <= size() && count <= size() - first, "slice outside the data set");
        return {features_.subspan(first * sample_size_, count * sample_size_),
                targets_.subspan(first * target_size_, count * target_size_), sample_size_, target_size_};
    }

private:
    std::span<const float> features_;
    std::span<const Target> targets_;
    std::size_t sample_size_ = 0, target_size_ = 1;
};

// DataView(features, targets, ...) from any contiguous containers: the target type is theirs.
template <class Features, class Targets>
DataView(const Features&, const Targets&, std::size_t, std::size_t = 1)
    -> DataView<std::remove_cv_t<std::remove_reference_t<decltype(*std::data(std::declval<const Targets&>()))>>>;

/// Images as bytes (one row of sample_size bytes per sample) with one byte label each, read as
/// floats byte / 255 (torchvision's ToTensor) and the label as it is.
class ByteImageView {
public:
    using target_type = std::uint8_t;

    ByteImageView() = default;
    ByteImageView(std::span<const std::uint8_t> pixels, std::span<const std::uint8_t> labels,
                  std::size_t sample_size, Caller caller = Caller::current()) noexcept
        : pixels_(pixels), labels_(labels), sample_size_(sample_size) {
        CTNN_REQUIRE(pixels.size() == labels.size() * sample_size, caller,
                     "ByteImageView: %zu labels of images of %zu bytes need %zu bytes, but pixels has %zu",
                     labels.size(), sample_size, labels.size() * sample_size, pixels.size());
    }

    std::size_t size() const noexcept { return labels_.size(); }
    bool empty() const noexcept { return labels_.empty(); }
    std::size_t sample_size() const noexcept { return sample_size_; }
    static constexpr std::size_t target_size() noexcept { return 1; }
    std::span<const std::uint8_t> pixels(std::size_t i) const noexcept { return pixels_.subspan(i * sample_size_, sample_size_); }
    std::uint8_t label(std::size_t i) const noexcept { return labels_[i]; }

    void read(std::size_t i, std::span<float> features, std::span<std::uint8_t> targets) const noexcept {
        CTNN_CHECK(i < size(), "sample index out of range");
        const std::uint8_t* in = pixels_.data() + i * sample_size_;
        // Division, not a multiply by 1/255: bit-identical to ToTensor's div(255).
        std::transform(in, in + sample_size_, features.data(), [](std::uint8_t b) { return float(b) / 255.0f; });
        targets[0] = labels_[i];
    }
    ByteImageView slice(std::size_t first, std::size_t count) const noexcept {
        CTNN_CHECK(first <= size() && count <= size() - first, "slice outside the data set");
        return {pixels_.subspan(first * sample_size_, count * sample_size_), labels_.subspan(first, count), sample_size_};
    }

private:
    std::span<const std::uint8_t> pixels_, labels_;
    std::size_t sample_size_ = 0;
};

/// A data set cut in two without copying: the first size - validation_count samples to train on,
/// the last validation_count to validate with. Shuffle the data beforehand if its order matters.
template <Dataset D>
struct Split {
    D train, validation;
};

template <Dataset D>
Split<D> split(const D& data, std::size_t validation_count) noexcept {
    CTNN_CHECK(validation_count <= data.size(), "validation split larger than the data set");
    const std::size_t train = data.size() - validation_count;
    return {data.slice(0, train), data.slice(train, validation_count)};
}

}  // namespace ctnn::train
