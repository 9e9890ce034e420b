#pragma once
// Run-time preconditions of the no-throw API (batch counts, buffer sizes). A broken one prints
// what was expected, the actual numbers and the caller's file and line, then aborts: never an
// out-of-bounds write. They cost a comparison per call; define CTNN_NO_RUNTIME_CHECKS to drop
// them.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace ctnn {

/// Where a public function was called from: a defaulted last argument, so messages name the
/// user's line. (std::source_location does the same, but libstdc++ 12 offers it only to g++.)
struct Caller {
    const char* file = "";
    unsigned line = 0;
    static constexpr Caller current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) noexcept {
        return {file, line};
    }
};

}  // namespace ctnn

#ifdef CTNN_NO_RUNTIME_CHECKS
#define CTNN_CHECK(cond, msg) ((void)0)
#define CTNN_REQUIRE(cond, caller, ...) ((void)0)
#else
/// An internal invariant: the condition's text and ctnn's own line.
#define CTNN_CHECK(cond, msg) ((cond) ? (void)0 : ::ctnn::detail::check_failed(#cond, msg, __FILE__, __LINE__))
/// A caller's precondition: a printf-style message with the numbers, and the caller's line.
#define CTNN_REQUIRE(cond, caller, ...) ((cond) ? (void)0 : ::ctnn::detail::precondition_failed(caller, __VA_ARGS__))
#endif

namespace ctnn::detail {

[[noreturn]] inline void check_failed(const char* cond, const char* msg, const char* file, int line) noexcept {
    std::fprintf(stderr, "ctnn: %s (%s) at %s:%d\n", msg, cond, file, line);
    std::abort();
}

[[noreturn, gnu::format(printf, 2, 3)]] inline void precondition_failed(Caller caller, const char* format, ...) noexcept {
    std::fputs("ctnn: ", stderr);
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fprintf(stderr, " (called from %s:%u)\n", caller.file, caller.line);
    std::abort();
}

/// Throws `error`; in a build without exceptions (-fno-exceptions), prints its message and
/// aborts. For errors of data and of training, which are not preconditions.
template <class Error>
[[noreturn]] void raise(const Error& error) {
#if defined(__cpp_exceptions)
    throw error;
#else
    std::fprintf(stderr, "%s\n", error.what());
    std::abort();
#endif
}

}  // namespace ctnn::detail
