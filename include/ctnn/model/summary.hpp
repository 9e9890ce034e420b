#pragma once
// summary<Net>(): a model as a table of its layers, shapes and parameter counts, the way
// torchinfo or Keras print one:
//
//   #  layer                   PyTorch                input   output   parameters
//   0  ctnn::Linear<784,256>   nn.Linear(784, 256)    {784}   {256}        200960
//   1  ctnn::ReLU (fused)      nn.ReLU()              {256}   {256}             0
//   ...
//   203530 parameters (795.0 KiB as float32)
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include "../core/layer.hpp"
#include "../core/shape.hpp"

namespace ctnn {

/// "{784}" or "{1, 28, 28}".
inline std::string shape_text(const Shape& s) {
    std::string out = "{";
    for (std::size_t d = 0; d < s.rank; ++d) out += (d ? ", " : "") + std::to_string(s.dims[d]);
    return out + "}";
}

template <class Net>
std::string summary() {
    constexpr std::size_t columns = 6;
    std::array<std::string, Net::depth + 1> row[columns];
    const char* const titles[columns] = {"#", "layer", "PyTorch", "input", "output", "parameters"};
    for (std::size_t c = 0; c < columns; ++c) row[c][0] = titles[c];
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using L = typename Net::template layer_type<I>;
                std::size_t params = 0;
                for (const auto& t : L::tensors)
                    if (t.trainable()) params += t.size();  // as PyTorch counts: no buffers
                row[0][I + 1] = std::to_string(I);
                row[1][I + 1] = L::cpp_name() + (Net::table[I].fused ? " (fused)" : "");
                row[2][I + 1] = torch_module<L>();
                row[3][I + 1] = shape_text(Net::table[I].in);
                row[4][I + 1] = shape_text(Net::table[I].out);
                row[5][I + 1] = std::to_string(params);
            }(),
            ...);
    }(std::make_index_sequence<Net::depth>{});

    std::string out;
    for (std::size_t r = 0; r <= Net::depth; ++r) {
        for (std::size_t c = 0; c < columns; ++c) {
            std::size_t width = 0;
            for (const auto& cell : row[c]) width = std::max(width, cell.size());
            const std::string& cell = row[c][r];
            const std::string pad(width - cell.size(), ' ');
            // Numbers right-aligned, text left-aligned.
            out += (c == 0 || c == columns - 1) ? pad + cell : cell + pad;
            out += c + 1 < columns ? "   " : "\n";
        }
    }
    char total[96];
    std::snprintf(total, sizeof total, "%zu parameters (%.1f KiB as float32)\n", Net::parameter_count,
                  double(Net::parameter_count) * 4.0 / 1024.0);
    return out + total;
}

}  // namespace ctnn
