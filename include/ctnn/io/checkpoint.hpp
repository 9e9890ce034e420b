#pragma once
// A training checkpoint: everything a run needs to resume bit for bit, in one safetensors file.
//
//   ctnn::io::save_checkpoint("run.safetensors", net, adam, rng, trainer.epochs_done());
//   ...
//   trainer.set_epochs_done(ctnn::io::load_checkpoint("run.safetensors", net, adam, rng));
//
// The file holds the model's tensors under their usual names ("0.weight", ...), each optimizer
// state block under "optimizer.<name>." ("optimizer.exp_avg.0.weight", named as torch.optim's
// state_dict names the state), and in its metadata the optimizer's step count, the epochs done
// and the sampling generator's state. Loading is as strict as load_safetensors and all or
// nothing: on any failure the model, the optimizer and the generator are unchanged.
#include <array>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "../util/rng.hpp"
#include "safetensors.hpp"
#include "tensor_file.hpp"

namespace ctnn::io {

namespace detail {

inline constexpr const char* checkpoint_steps_key = "ctnn.checkpoint.optimizer_steps";
inline constexpr const char* checkpoint_epochs_key = "ctnn.checkpoint.epochs_done";
inline constexpr const char* checkpoint_rng_key = "ctnn.checkpoint.rng";

struct CheckpointCounters {
    std::size_t steps = 0, epochs = 0;
    Rng::State rng;
};

/// The generator's state as text, exactly: its four words and the spare normal's bits in hex.
inline std::string rng_text(const Rng::State& s) {
    char text[128];
    std::snprintf(text, sizeof text, "%016llx %016llx %016llx %016llx %016llx %d",
                  (unsigned long long)s.words[0], (unsigned long long)s.words[1], (unsigned long long)s.words[2],
                  (unsigned long long)s.words[3], (unsigned long long)std::bit_cast<std::uint64_t>(s.spare),
                  s.has_spare ? 1 : 0);
    return text;
}

/// Parses `count` unsigned numbers separated by single spaces, in `base`; false if the text is
/// anything else.
inline bool parse_numbers(const std::string& text, std::uint64_t* out, std::size_t count, int base) {
    const char* p = text.data();
    const char* const end = p + text.size();
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0 && (p == end || *p++ != ' ')) return false;
        const auto r = std::from_chars(p, end, out[i], base);
        if (r.ec != std::errc{} || r.ptr == p) return false;
        p = r.ptr;
    }
    return p == end;
}

/// The counters in a checkpoint's metadata, or why they are missing or malformed.
inline std::string read_counters(const Metadata& metadata, CheckpointCounters& c) {
    const auto get = [&](const char* key) -> const std::string* {
        const auto it = metadata.find(key);
        return it == metadata.end() ? nullptr : &it->second;
    };
    std::uint64_t steps = 0, epochs = 0, rng[6] = {};
    const std::string* s = get(checkpoint_steps_key);
    const std::string* e = get(checkpoint_epochs_key);
    const std::string* r = get(checkpoint_rng_key);
    if (!s || !e || !r)
        return std::string("not a ctnn training checkpoint: metadata \"") +
               (!s ? checkpoint_steps_key : !e ? checkpoint_epochs_key : checkpoint_rng_key) +
               "\" is missing (load a model's weights alone with load_safetensors)";
    if (!parse_numbers(*s, &steps, 1, 10)) return std::string("metadata \"") + checkpoint_steps_key + "\" is not a number";
    if (!parse_numbers(*e, &epochs, 1, 10)) return std::string("metadata \"") + checkpoint_epochs_key + "\" is not a number";
    if (!parse_numbers(*r, rng, 6, 16) || rng[5] > 1)
        return std::string("metadata \"") + checkpoint_rng_key + "\" is not a generator state";
    c.steps = std::size_t(steps);
    c.epochs = std::size_t(epochs);
    c.rng = {{rng[0], rng[1], rng[2], rng[3]}, std::bit_cast<double>(rng[4]), rng[5] == 1};
    return {};
}

/// The model's block and one block per optimizer state tensor, over float or const float.
template <class Net, class T, class Blocks>
std::vector<TensorBlock<T>> checkpoint_blocks(T* parameters, const Blocks& state) {
    std::vector<TensorBlock<T>> blocks{model_tensors<Net>(parameters)};
    for (const auto& b : state)
        blocks.push_back(model_tensors<Net>(b.values.data(), std::string("optimizer.") + b.name + ".",
                                            TensorSelection::trainable));
    return blocks;
}

}  // namespace detail

#if defined(__cpp_exceptions)

/// Writes net, the optimizer's state, the sampling generator's state and the epochs done to
/// `path` (atomically, as save_safetensors does). Throws Error naming the file on failure.
template <class Net, class Optimizer>
void save_checkpoint(const std::filesystem::path& path, const Net& net, const Optimizer& optimizer, const Rng& rng,
                     std::size_t epochs_done) {
    const auto blocks = detail::checkpoint_blocks<Net>(net.parameters(), optimizer.state_blocks());
    const Metadata metadata{{std::string(signature_key), signature<Net>()},
                            {std::string(torch_modules_key), torch_modules<Net>()},
                            {detail::checkpoint_steps_key, std::to_string(optimizer.steps())},
                            {detail::checkpoint_epochs_key, std::to_string(epochs_done)},
                            {detail::checkpoint_rng_key, detail::rng_text(rng.state())}};
    save_tensors(path, blocks, metadata);
}

/// Restores what save_checkpoint wrote into net, the optimizer and the generator, and returns
/// the epochs done (give them to Trainer::set_epochs_done). Throws Error naming the file and
/// what does not fit, leaving all three unchanged.
template <class Net, class Optimizer>
std::size_t load_checkpoint(const std::filesystem::path& path, Net& net, Optimizer& optimizer, Rng& rng) {
    const auto blocks = detail::checkpoint_blocks<Net>(net.parameters(), optimizer.state_blocks());
    LoadOptions options = detail::model_load_options<Net>();
    detail::CheckpointCounters counters;
    options.check_metadata = [model = options.check_metadata, &counters](const Metadata& metadata) {
        std::string why = model(metadata);
        return why.empty() ? detail::read_counters(metadata, counters) : why;
    };
    load_tensors(path, blocks, options);
    optimizer.set_steps(counters.steps);
    rng.restore(counters.rng);
    return counters.epochs;
}

#endif

}  // namespace ctnn::io
