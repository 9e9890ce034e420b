// plot: one column of one or more CSV training logs (mnist --log, ...) as an SVG line chart, one
// line per file, readable in any browser. Run with --help for the flags.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include "svg_chart.hpp"

namespace {

namespace fs = std::filesystem;

void print_help(std::FILE* out) {
    std::fprintf(out,
                 "Usage: plot --y COLUMN [FLAGS] --out CHART.svg LOG.csv [LABEL=LOG.csv ...]\n"
                 "Draws COLUMN of each CSV log against its epoch as an SVG line chart, one line per file.\n"
                 "A log is a header row of column names, then rows of numbers; an empty cell or nan is a gap.\n"
                 "\n"
                 "  --y COLUMN          the column to draw (e.g. cost, layer0_grad_mean_abs, layer1_dead)\n"
                 "  --x COLUMN          the column along the x axis (default epoch, or the row number\n"
                 "                      when a log has no epoch column)\n"
                 "  --log-y             a logarithmic y axis (values <= 0 become gaps)\n"
                 "  --title TEXT        the chart's title (default 'COLUMN per epoch')\n"
                 "  --y-label TEXT      the y axis label (default COLUMN)\n"
                 "  --x-label TEXT      the x axis label (default the x column)\n"
                 "  --out FILE          the SVG file to write (required)\n"
                 "  --help, -h          this text\n"
                 "\n"
                 "Each line is labelled with its file's name without the extension, or with LABEL when\n"
                 "given as LABEL=LOG.csv. Arguments after -- are all logs.\n"
                 "Example: plot --y layer0_grad_mean_abs --log-y --out grad.svg relu=relu.csv sigmoid=sigmoid.csv\n"
                 "Exit status: 0 written, 1 a log or column that cannot be read or a chart that cannot be\n"
                 "written, 2 bad flags.\n");
}

struct UsageError {
    std::string message;
};

struct Input {
    std::string label;
    fs::path file;
};

struct Options {
    std::string y, x = "epoch", title, y_label, x_label;
    bool x_given = false, log_y = false;
    fs::path out;
    std::vector<Input> inputs;
};

/// LABEL=path, or a path labelled with its stem. A path that exists is taken whole, '=' or not.
Input parse_input(std::string_view arg) {
    std::error_code ec;
    const auto eq = arg.find('=');
    if (eq == std::string_view::npos || fs::exists(fs::path(arg), ec))
        return {fs::path(arg).stem().string(), fs::path(arg)};
    if (eq == 0 || eq + 1 == arg.size())
        throw UsageError{"'" + std::string(arg) + "': expected LABEL=LOG.csv with both parts"};
    return {std::string(arg.substr(0, eq)), fs::path(arg.substr(eq + 1))};
}

/// Returns the options, or nullopt after --help.
std::optional<Options> parse(int argc, char** argv) {
    Options o;
    bool only_files = false;  // after "--"
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i], value;
        if (only_files || !arg.starts_with("-") || arg == "-") {
            o.inputs.push_back(parse_input(arg));
            continue;
        }
        if (arg == "--") {
            only_files = true;
            continue;
        }
        bool has_value = false;
        if (const auto eq = arg.find('='); eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (arg == "--help" || arg == "-h") return std::nullopt;
        if (arg == "--log-y") {
            if (has_value) throw UsageError{"--log-y takes no value"};
            o.log_y = true;
            continue;
        }
        const auto next = [&]() -> std::string {
            if (has_value) return std::string(value);
            if (i + 1 >= argc) throw UsageError{std::string(arg) + " needs a value"};
            return argv[++i];
        };
        if (arg == "--y") {
            o.y = next();
        } else if (arg == "--x") {
            o.x = next();
            o.x_given = true;
        } else if (arg == "--title") {
            o.title = next();
        } else if (arg == "--y-label") {
            o.y_label = next();
        } else if (arg == "--x-label") {
            o.x_label = next();
        } else if (arg == "--out") {
            o.out = next();
        } else {
            throw UsageError{"unknown flag '" + std::string(argv[i]) + "'"};
        }
    }
    if (o.y.empty()) throw UsageError{"--y COLUMN is required: the column to draw"};
    if (o.x.empty()) throw UsageError{"--x: the column name is empty"};
    if (o.out.empty()) throw UsageError{"--out FILE is required: where the SVG goes"};
    if (o.inputs.empty()) throw UsageError{"no CSV log given"};
    return o;
}

/// One series per log; throws std::runtime_error naming the file for a log or column that is
/// not there.
std::vector<svg_chart::Series> read_series(const Options& o, bool& by_row) {
    std::vector<svg_chart::Series> series;
    by_row = false;
    for (const auto& input : o.inputs) {
        const auto table = svg_chart::read_csv(input.file);
        svg_chart::Series s{input.label, {}, {}};
        try {
            s.y = table.column(o.y);
            if (!o.x_given && !table.has_column(o.x)) {
                for (std::size_t row = 1; row <= table.rows.size(); ++row) s.x.push_back(double(row));
                by_row = true;
            } else {
                s.x = table.column(o.x);
            }
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(input.file.string() + ": " + e.what());
        }
        series.push_back(std::move(s));
    }
    return series;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        const auto parsed = parse(argc, argv);
        if (!parsed) {
            print_help(stdout);
            return 0;
        }
        o = *parsed;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "plot: %s\nTry 'plot --help'.\n", e.message.c_str());
        return 2;
    }
    try {
        bool by_row = false;
        const auto series = read_series(o, by_row);
        const std::string x_name = by_row ? "row" : o.x;
        svg_chart::ChartOptions chart{
            .title = o.title.empty() ? o.y + " per " + x_name : o.title,
            .x_label = o.x_label.empty() ? x_name : o.x_label,
            .y_label = o.y_label.empty() ? o.y : o.y_label,
            .log_y = o.log_y,
        };
        svg_chart::write_line_chart(o.out, series, chart);
        std::printf("plot: wrote %s (%zu line%s)\n", o.out.string().c_str(), series.size(), series.size() == 1 ? "" : "s");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plot: %s\n", e.what());
        return 1;
    }
    return 0;
}
