#pragma once
// ThreadPool: a fixed set of threads, created once, that run one task on every thread and join
// (fork-join). Training splits each batch across them (train/data_parallel.hpp); nothing creates
// a thread per batch. A waiting thread polls for up to about 50 us, then sleeps (C++20 atomic
// wait/notify: a futex), so a hand-off costs microseconds against the hundreds a training step
// takes, and an idle pool costs nothing. Not for the real-time inference path: that is
// single-threaded and lock-free by design.
//
// run() may be called from several threads at once: calls are served one after another (a
// mutex), each with all the pool's threads. A task must not call run() on the pool running it;
// that would wait for itself forever, so it aborts with a message instead.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace ctnn {

class ThreadPool {
public:
    /// `threads` >= 1 in all, counting the caller's: threads - 1 workers are started.
    explicit ThreadPool(std::size_t threads = 1) {
        if (threads == 0) threads = 1;
        workers_.reserve(threads - 1);
        for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool() {
        stop_.store(true);
        generation_.fetch_add(1);
        generation_.notify_all();
        for (auto& w : workers_) w.join();
    }

    std::size_t size() const noexcept { return workers_.size() + 1; }

    /// Calls task(i) for every i in [0, size()), i = 0 on the calling thread, and returns when
    /// all have returned. The task must not throw.
    template <class Task>
    void run(Task& task) noexcept {
        if (running_here() == this) {
            std::fputs("ctnn: ThreadPool::run called from a task of the same pool; it would wait for itself\n", stderr);
            std::abort();
        }
        const std::lock_guard<std::mutex> one_run_at_a_time(run_mutex_);
        const RunningHere mark(this);
        if (workers_.empty()) {
            task(std::size_t{0});
            return;
        }
        task_ = &task;
        call_ = [](void* t, std::size_t i) { (*static_cast<Task*>(t))(i); };
        pending_.store(workers_.size());
        generation_.fetch_add(1);
        generation_.notify_all();
        task(std::size_t{0});
        spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; });
        for (std::size_t left = pending_.load(); left != 0; left = pending_.load()) pending_.wait(left);
    }

private:
    // The pool whose task this thread is running, if any: the guard against a nested run().
    static const ThreadPool*& running_here() noexcept {
        thread_local const ThreadPool* pool = nullptr;
        return pool;
    }
    struct RunningHere {
        const ThreadPool* previous;
        explicit RunningHere(const ThreadPool* p) noexcept : previous(running_here()) { running_here() = p; }
        ~RunningHere() { running_here() = previous; }
    };

    // Polls `done` for 2000 pauses at most (50 us on a Zen 3) before the caller sleeps on its
    // atomic. A training step hands work over twice within a millisecond; sleeping in the kernel
    // at once (a futex), the wake-ups took about 4% of a 2-thread step in the profile, and the
    // step ran 7-12% slower (Zen 3, alternating binaries).
    template <class Done>
    static void spin_until(Done done) noexcept {
        for (int i = 0; i < 2000 && !done(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    }

    void work(std::size_t index) {
        std::uint64_t seen = 0;
        for (;;) {
            spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
            generation_.wait(seen);  // returns at once if it changed
            seen = generation_.load();
            if (stop_.load()) return;
            {
                const RunningHere mark(this);
                call_(task_, index);
            }
            if (pending_.fetch_sub(1) == 1) pending_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex run_mutex_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::size_t> pending_{0};
    std::atomic<bool> stop_{false};
    void (*call_)(void*, std::size_t) = nullptr;
    void* task_ = nullptr;
};

}  // namespace ctnn
