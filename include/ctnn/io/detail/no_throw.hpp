#pragma once
// The firewall of the no-throw entry points (try_load_*, try_save_*): allocation failure, and any
// stray exception, become a result instead of escaping a noexcept function. With
// -fno-exceptions there is nothing to catch, and the work runs as is.
#include <string>
#include <utility>
#if defined(__cpp_exceptions)
#include <new>
#endif

namespace ctnn::io::detail {

#if defined(__cpp_exceptions)
/// {kind, "ctnn: <what> while <doing>"}, or the kind alone if even that message cannot be allocated.
template <class Result>
Result without_exceptions(decltype(Result::kind) kind, const char* what, const char* doing) noexcept {
    try {
        return {kind, std::string("ctnn: ") + what + " while " + doing};
    } catch (...) {
        return {kind, {}};
    }
}
#endif

/// Runs `work` (returning a LoadResult or SaveResult); `doing` says what for the messages:
/// "loading a safetensors file".
template <class Result, class F>
Result no_throw(const char* doing, F&& work) noexcept {
#if defined(__cpp_exceptions)
    using Kind = decltype(Result::kind);
    try {
        return std::forward<F>(work)();
    } catch (const std::bad_alloc&) {
        return without_exceptions<Result>(Kind::out_of_memory, "out of memory", doing);
    } catch (...) {
        return without_exceptions<Result>(Kind::file, "unexpected error", doing);
    }
#else
    (void)doing;
    return std::forward<F>(work)();
#endif
}

inline constexpr const char* loading = "loading a safetensors file";
inline constexpr const char* saving = "saving a safetensors file";

}  // namespace ctnn::io::detail
