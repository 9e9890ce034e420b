#pragma once
// Run-time preconditions of the no-throw API (batch counts, buffer sizes). Broken ones print
// what was expected and abort: never an out-of-bounds write. They cost a comparison per call;
// define CTNN_NO_RUNTIME_CHECKS to drop them.
#include <cstdio>
#include <cstdlib>

#ifdef CTNN_NO_RUNTIME_CHECKS
#define CTNN_CHECK(cond, msg) ((void)0)
#else
#define CTNN_CHECK(cond, msg) ((cond) ? (void)0 : ::ctnn::detail::check_failed(#cond, msg, __FILE__, __LINE__))
#endif

namespace ctnn::detail {
[[noreturn]] inline void check_failed(const char* cond, const char* msg, const char* file, int line) noexcept {
    std::fprintf(stderr, "ctnn: %s (%s) at %s:%d\n", msg, cond, file, line);
    std::abort();
}
}  // namespace ctnn::detail
