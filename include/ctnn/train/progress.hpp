#pragma once
// Progress: a one-line progress bar (steps done, samples/s, ETA) redrawn in place on stderr,
// only when stderr is a terminal: a log file or a CI job gets nothing, so stdout stays the clean
// report. Redraws at most ten times a second; never allocates. A ready-made Trainer callback:
// progress.attach(trainer) draws every epoch (the library itself never prints).
#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

// In ctnn::detail, not ctnn::train::detail: a train::detail namespace would hide ctnn::detail
// from unqualified detail:: lookups in other ctnn::train headers.
namespace ctnn::detail {
inline bool is_terminal(std::FILE* f) noexcept {
#if __has_include(<unistd.h>)
    return f && ::isatty(::fileno(f)) == 1;
#else
    return false;
#endif
}
}  // namespace ctnn::detail

namespace ctnn::train {

class Progress {
public:
    using clock = std::chrono::steady_clock;

    /// Draws on `out` only if it is a terminal.
    explicit Progress(std::FILE* out = stderr) noexcept : Progress(out, ctnn::detail::is_terminal(out)) {}
    /// Draws on `out` if `enabled`, terminal or not (tests, forced output).
    Progress(std::FILE* out, bool enabled) noexcept : out_(out), enabled_(enabled) {}

    bool enabled() const noexcept { return enabled_; }

    /// Text in front of the bar, printf-style (e.g. "epoch %d/%d"); kept until changed.
    [[gnu::format(printf, 2, 3)]] void label(const char* format, ...) noexcept {
        va_list args;
        va_start(args, format);
        std::vsnprintf(label_, sizeof label_, format, args);
        va_end(args);
    }

    /// Installs the bar on a Trainer's callbacks: begin at each epoch's start, a step per batch,
    /// end after the epoch. The Progress must outlive the trainer's epochs; label() as before.
    template <class Trainer>
    void attach(Trainer& trainer) {
        trainer.on_epoch_begin([this](const auto& e) { begin(e.batches, e.batch_size); });
        trainer.on_batch_end([this](const auto& e) { step(e.batch + 1); });
        trainer.on_epoch_end([this](const auto&) { end(); });
    }

    /// Starts a run of `total_steps` steps of `samples_per_step` samples.
    void begin(std::size_t total_steps, std::size_t samples_per_step) noexcept {
        total_ = total_steps;
        per_step_ = samples_per_step;
        start_ = last_draw_ = clock::now();
        if (enabled_) draw(0, 0.0);
    }

    /// `done` steps finished.
    void step(std::size_t done) noexcept {
        if (!enabled_) return;
        const auto now = clock::now();
        if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        draw(done, std::chrono::duration<double>(now - start_).count());
    }

    /// Erases the bar, so the next line of output starts clean.
    void end() noexcept {
        if (!enabled_) return;
        std::fputs("\r\033[K", out_);
        std::fflush(out_);
    }

private:
    void draw(std::size_t done, double seconds) noexcept {
        constexpr int width = 30;
        const double fraction = total_ ? double(done) / double(total_) : 1.0;
        char bar[width + 1];
        const int filled = int(fraction * width);
        for (int i = 0; i < width; ++i) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
        bar[width] = '\0';
        const double rate = seconds > 0 ? double(done * per_step_) / seconds : 0.0;
        std::fprintf(out_, "\r\033[K%s [%s] %zu/%zu", label_, bar, done, total_);
        if (done > 0 && seconds > 0) {
            const double eta = seconds / double(done) * double(total_ - done);
            std::fprintf(out_, "  %.0f samples/s  ETA %.1f s", rate, eta);
        }
        std::fflush(out_);
    }

    std::FILE* out_;
    bool enabled_;
    char label_[64] = "";
    std::size_t total_ = 0, per_step_ = 0;
    clock::time_point start_, last_draw_;
};

}  // namespace ctnn::train
