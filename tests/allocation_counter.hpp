#pragma once
// Counts heap allocations in a test program: replaces every replaceable operator new/delete (all
// pairing with malloc/free, so AddressSanitizer sees no mismatch) and, outside sanitizer builds,
// interposes malloc itself (glibc allows it), so that C allocations count too. (Under
// ThreadSanitizer an interposed malloc crashed the program before main: the test programs that
// count allocations then listed no tests, and ran none.) Include it in
// exactly one source file of a test program; read test::allocations before and after.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// g++ sees std::free of a pointer that came from operator new; here both sides are ours.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace test {
inline std::atomic<long> allocations{0};
}

namespace test::detail {
inline void* allocate(std::size_t n, std::size_t align) noexcept {
    ++allocations;
    n = std::max<std::size_t>(n, 1);
    return align <= alignof(std::max_align_t) ? std::malloc(n) : std::aligned_alloc(align, (n + align - 1) / align * align);
}
inline void* allocate_or_throw(std::size_t n, std::size_t align) {
    if (void* p = allocate(n, align)) return p;
    throw std::bad_alloc();
}
}  // namespace test::detail

void* operator new(std::size_t n) { return test::detail::allocate_or_throw(n, 0); }
void* operator new[](std::size_t n) { return test::detail::allocate_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return test::detail::allocate_or_throw(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return test::detail::allocate_or_throw(n, std::size_t(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return test::detail::allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return test::detail::allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return test::detail::allocate(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return test::detail::allocate(n, std::size_t(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CTNN_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CTNN_TEST_SANITIZED 1
#endif
#endif
#ifndef CTNN_TEST_SANITIZED
// Forward to glibc's allocator and count (the sanitizers bring their own malloc).
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* malloc(std::size_t n) {
    ++test::allocations;
    return __libc_malloc(n);
}
#endif
