#pragma once
// Compile-time sizes of the arrays users pass (std::array, C arrays, std::span<T, N>), and the
// one error a wrong one gets.
#include <cstddef>
#include <span>
#include <utility>
#include "errors.hpp"

namespace ctnn::detail {

/// Compile-time extent of a fixed-size argument, or dynamic_extent when the size is only known
/// at run time (std::vector, std::span<T>).
template <class T>
constexpr std::size_t static_extent() {
    if constexpr (requires(T& t) { std::span(t); })
        return decltype(std::span(std::declval<T&>()))::extent;
    else
        return std::dynamic_extent;
}

/// Instantiates the error for an argument of the wrong size. Called only when the sizes are
/// known to disagree; the decision itself never depends on the error type, so no compiler turns
/// the one error into several.
template <std::size_t Expected, std::size_t Given, template <std::size_t, std::size_t> class Error, class Arg>
void report_extent() noexcept {
    if constexpr (Given == std::dynamic_extent) {
        [[maybe_unused]] error::ARGUMENT_NEEDS_A_FIXED_SIZE<Arg> e;
    } else {
        [[maybe_unused]] Error<Expected, Given> e;
    }
}

}  // namespace ctnn::detail
