#pragma once
// svg_chart: line charts of training curves (cost, gradient magnitude, dead units per epoch) as
// standalone SVG files that any browser shows, plus the CSV reader for the training logs they
// come from. Header-only, standard library only.
//
// A chart is laid out in two steps, both testable: layout_chart() chooses the axes (nice ticks,
// log decades) and the plot area in pixels; line_chart_svg() draws with that layout. Points that
// cannot be drawn (NaN, inf, and on a log scale values <= 0) are gaps: the line breaks there.
// Every number written to the SVG is finite and printed with two decimals at most.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svg_chart {

/// One line. Points are drawn in the order given; x and y pair up to the shorter of the two.
struct Series {
    std::string label;
    std::vector<double> x, y;
};

struct ChartOptions {
    std::string title{}, x_label{}, y_label{};  // {}: designated initializers may leave them out
    bool log_y = false;
    int width = 720, height = 420;  // pixels; the height grows if the legend needs it
};

// ---------------------------------------------------------------- axes

struct Tick {
    double value;
    std::string label;  // empty for a minor tick: a grid line only
};

/// A linear or base-10 logarithmic axis from lo to hi, and where its ticks go.
struct Axis {
    double lo = 0, hi = 1;
    bool log = false;
    std::vector<Tick> ticks;

    bool can_show(double v) const { return std::isfinite(v) && (!log || v > 0); }
    /// 0 at lo, 1 at hi. Halved operands keep a range as wide as the doubles finite.
    double fraction(double v) const {
        double f = 0.5;
        if (log) {
            const double l = std::log10(lo), h = std::log10(hi);
            if (h > l) f = (std::log10(v) - l) / (h - l);
        } else if (hi > lo) {
            f = (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5);
        }
        return f;
    }
};

namespace detail {

/// 10^e as the double nearest to it (std::pow may be an ulp off, and a tick at 1e-3 should be
/// exactly the 1e-3 a user writes).
inline double power_of_ten(int e) {
    return std::strtod(("1e" + std::to_string(e)).c_str(), nullptr);
}

/// floor(log10(v)) for v > 0, exact at powers of ten.
inline int decade_below(double v) {
    if (!(v > 0)) return -323;
    if (!std::isfinite(v)) return 308;
    int e = int(std::floor(std::log10(v)));
    if (power_of_ten(e) > v) --e;
    if (power_of_ten(e + 1) <= v) ++e;
    return std::max(e, -323);  // 1e-324 is 0 as a double
}

inline int decade_above(double v) {
    const int e = decade_below(v);
    return power_of_ten(e) == v ? e : std::min(e + 1, 308);
}

/// v with `decimals` digits after the point (%.*f).
inline std::string fixed(int decimals, double v) {
    char text[400];  // %f of 1e308 has 309 digits
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

/// v with `digits` significant digits, in exponent form when very large or small (%.*g).
inline std::string general(int digits, double v) {
    char text[48];
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    return text;
}

/// A linear tick's label: as many decimals as the step needs, so 0.2, 0.4 and 20, 40, not 0.200000.
inline std::string linear_tick_label(double v, double step) {
    if (std::abs(v) < step * 1e-9) v = 0;  // neither "-0" nor 5.55e-17 from i * step
    const double magnitude = std::max(std::abs(v), step);
    if (magnitude >= 1e6 || step < 1e-4) {
        const int digits = std::clamp(decade_below(magnitude) - decade_below(step) + 1, 1, 15);
        return general(digits, v);
    }
    return fixed(std::max(0, -decade_below(step)), v);
}

/// The smallest step of 1, 2 or 5 times a power of ten (at least 1 for integer data) with which
/// at most max_ticks ticks cover [lo, hi] (covering) or fall inside it; 0 if none is finite.
inline double nice_step(double lo, double hi, int max_ticks, bool integer, bool covering) {
    const double span = hi - lo;
    if (!(span > 0) || !std::isfinite(span)) return 0;
    for (int e = std::max(decade_below(span / max_ticks) - 1, -323); e <= 308; ++e) {
        for (const double m : {1.0, 2.0, 5.0}) {
            const double step = m * power_of_ten(e);
            if ((integer && step < 1) || !(step > 0) || !std::isfinite(step)) continue;
            // The tolerance keeps 1 / 0.2 = 5.000000001 from adding a tick.
            const double first = covering ? std::floor(lo / step + 1e-9) : std::ceil(lo / step - 1e-9);
            const double last = covering ? std::ceil(hi / step - 1e-9) : std::floor(hi / step + 1e-9);
            if (last - first + 1 <= max_ticks) return step;
        }
    }
    return 0;
}

/// A range too narrow for ticks to tell apart (1 and 1 + 1e-15): drawn as a constant.
inline bool nearly_constant(double lo, double hi) {
    return hi - lo <= 1e-12 * std::max(std::abs(lo), std::abs(hi));
}

/// An axis for data too extreme for nice ticks (spans near the largest doubles): the data range,
/// labelled at its ends.
inline Axis plain_axis(double lo, double hi) {
    Axis a{lo, hi, false, {}};
    a.ticks.push_back({lo, general(3, lo)});
    if (hi != lo) a.ticks.push_back({hi, general(3, hi)});
    return a;
}

}  // namespace detail

/// Ticks at a 1-2-5 step covering [lo, hi] (the first <= lo, the last >= hi), 8 at most and
/// usually 5 or more; with `integer`, the step is a whole number. Empty if lo >= hi.
inline std::vector<Tick> linear_ticks(double lo, double hi, bool integer = false) {
    const double step = detail::nice_step(lo, hi, 8, integer, true);
    std::vector<Tick> ticks;
    if (step == 0) return ticks;
    const double first = std::floor(lo / step + 1e-9), count = std::ceil(hi / step - 1e-9) - first + 1;
    for (int k = 0; k < int(count); ++k)
        ticks.push_back({(first + k) * step, detail::linear_tick_label((first + k) * step, step)});
    return ticks;
}

/// Ticks at a 1-2-5 step inside [lo, hi], 8 at most: for an axis that spans exactly the data.
inline std::vector<Tick> linear_ticks_inside(double lo, double hi, bool integer = false) {
    const double step = detail::nice_step(lo, hi, 8, integer, false);
    std::vector<Tick> ticks;
    if (step == 0) return ticks;
    const double first = std::ceil(lo / step - 1e-9), count = std::floor(hi / step + 1e-9) - first + 1;
    for (int k = 0; k < int(count); ++k)
        ticks.push_back({(first + k) * step, detail::linear_tick_label((first + k) * step, step)});
    return ticks;
}

/// The y axis of a linear chart with data in [min, max] (finite, min <= max). Zero is included
/// when the data are all >= 0 and min < 40% of max (costs and fractions read against zero), and
/// likewise for all-negative data; a constant is padded so that it draws mid-chart.
inline Axis linear_axis(double min, double max) {
    if (min >= 0 && min < 0.4 * max) min = 0;
    else if (max <= 0 && max > 0.4 * min) max = 0;
    if (detail::nearly_constant(min, max)) {
        const double pad = min == 0 ? 1 : std::abs(min) * 0.1;
        if (min == 0) max = 1;  // a constant 0 (no dead units) sits on the bottom of [0, 1]
        else {  // near the largest doubles, the padding must not overflow to inf
            constexpr double largest = std::numeric_limits<double>::max();
            min = std::max(min - pad, -largest), max = std::min(max + pad, largest);
        }
    }
    auto ticks = linear_ticks(min, max);
    if (ticks.size() < 2 || !std::isfinite(ticks.front().value) || !std::isfinite(ticks.back().value))
        return detail::plain_axis(min, max);
    Axis a{ticks.front().value, ticks.back().value, false, std::move(ticks)};
    return a;
}

/// A log axis over whole decades around [min, max] (0 < min <= max). The powers of ten are
/// labelled as %g writes them (1e-09, 1e-05, 0.001, 0.1, 10); with more than ten decades only
/// every k-th is. Within five decades the 2..9 multiples are minor grid lines, and within one
/// they are labelled too, so a short axis still has ticks to read.
inline Axis log_axis(double min, double max) {
    int lo = detail::decade_below(min), hi = detail::decade_above(max);
    if (hi <= lo) lo -= 1, hi = lo + 2;  // a single power of ten: mid-chart
    const int every = (hi - lo + 9) / 10;  // at most 11 labelled decades
    hi = std::min(lo + every * ((hi - lo + every - 1) / every), 308);
    Axis a{detail::power_of_ten(lo), detail::power_of_ten(hi), true, {}};
    for (int e = lo; e <= hi; ++e) {
        const double decade = detail::power_of_ten(e);
        if ((e - lo) % every == 0) a.ticks.push_back({decade, detail::general(6, decade)});
        else if (hi - lo <= 30) a.ticks.push_back({decade, ""});  // unlabelled decades: grid lines
        if (hi - lo > 5 || e == hi) continue;
        for (int m = 2; m <= 9; ++m) {
            const bool labelled = hi - lo == 1 && (m == 2 || m == 5);
            a.ticks.push_back({m * decade, labelled ? detail::general(6, m * decade) : std::string()});
        }
    }
    return a;
}

/// The stretches of a series that can be drawn on these axes: a point that cannot be (NaN, inf,
/// <= 0 on a log axis) ends one stretch, and the next drawable point starts another.
inline std::vector<std::vector<std::pair<double, double>>> drawable_runs(const Series& s, const Axis& x,
                                                                         const Axis& y) {
    std::vector<std::vector<std::pair<double, double>>> runs(1);
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
        if (x.can_show(s.x[i]) && y.can_show(s.y[i])) runs.back().emplace_back(s.x[i], s.y[i]);
        else if (!runs.back().empty()) runs.emplace_back();
    }
    if (runs.back().empty()) runs.pop_back();
    return runs;
}

// ---------------------------------------------------------------- layout

struct Rect {
    double left, top, right, bottom;
};

/// Where everything goes: the axes, and the pixels of the plot area (y grows downwards).
struct Layout {
    int width = 0, height = 0;
    Rect plot{};
    Axis x, y;
    bool has_data = false;  // false: the chart says "no data"
    double legend_left = 0, legend_width = 0;  // the legend's box, right of the plot, from its top
    std::size_t legend_chars = 0;               // longer labels are cut to this many characters

    double x_pixel(double v) const { return plot.left + x.fraction(v) * (plot.right - plot.left); }
    double y_pixel(double v) const { return plot.bottom - y.fraction(v) * (plot.bottom - plot.top); }
};

namespace detail {

constexpr double char_width = 7;   // a generous average width of a 12px sans-serif character
constexpr double legend_row = 18;  // pixels per legend entry

/// Code points, not bytes: what the width of a UTF-8 label depends on.
inline std::size_t text_length(std::string_view s) {
    return std::size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// A series' legend text: its label, or "series N" (1-based) without one.
inline std::string legend_label(const std::vector<Series>& series, std::size_t i) {
    return series[i].label.empty() ? "series " + std::to_string(i + 1) : series[i].label;
}

inline bool all_integers(const std::vector<Series>& series) {
    for (const auto& s : series)
        for (const double v : s.x)
            if (std::isfinite(v) && (v != std::round(v) || std::abs(v) > 1e15)) return false;
    return true;
}

}  // namespace detail

inline Layout layout_chart(const std::vector<Series>& series, const ChartOptions& options) {
    Layout l;
    l.width = std::max(options.width, 240);
    l.height = std::max(options.height, 180);

    // The data ranges, over the points that a log y axis can show.
    const Axis probe_x{0, 1, false, {}}, probe_y{1, 10, options.log_y, {}};
    double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
    for (const auto& s : series)
        for (const auto& run : drawable_runs(s, probe_x, probe_y))
            for (const auto& [x, y] : run) {
                x_min = std::min(x_min, x), x_max = std::max(x_max, x);
                y_min = std::min(y_min, y), y_max = std::max(y_max, y);
            }
    l.has_data = x_min <= x_max;

    std::size_t widest_y_label = 1;
    if (l.has_data) {
        // x spans the data, 2% wider each side so that end markers clear the frame; ticks only
        // inside the data (an epoch axis starts at epoch 1, not 0).
        const bool integer = detail::all_integers(series);
        double lo = x_min, hi = x_max;
        if (detail::nearly_constant(lo, hi)) {
            const double pad = std::max(lo == 0 ? 1 : std::abs(lo) * 0.1, integer ? 1.0 : 0.0);
            constexpr double largest = std::numeric_limits<double>::max();
            lo = std::max(lo - pad, -largest), hi = std::min(hi + pad, largest);
        }
        auto x_ticks = linear_ticks_inside(lo, hi, integer);
        const double margin = (hi * 0.5 - lo * 0.5) * 0.04;
        if (x_ticks.empty() || !std::isfinite(lo - margin) || !std::isfinite(hi + margin)) {
            l.x = detail::plain_axis(lo, hi);
        } else {
            l.x = Axis{lo - margin, hi + margin, false, std::move(x_ticks)};
        }
        l.y = options.log_y ? log_axis(y_min, y_max) : linear_axis(y_min, y_max);
        for (const auto& t : l.y.ticks) widest_y_label = std::max(widest_y_label, t.label.size());
    }

    // The legend, right of the plot: its labels are cut so that the plot keeps 60% of the width.
    std::size_t longest = 0;
    for (std::size_t i = 0; i < series.size(); ++i) longest = std::max(longest, detail::text_length(detail::legend_label(series, i)));
    l.legend_chars = std::size_t(std::max(6.0, (l.width * 0.4 - 56) / detail::char_width));
    l.legend_width = series.empty() ? 0 : 44 + detail::char_width * double(std::min(longest, l.legend_chars));

    l.plot.top = options.title.empty() ? 16 : 44;
    l.plot.left = 14 + (options.y_label.empty() ? 0 : 22) + 6.5 * double(widest_y_label);
    l.plot.right = l.width - 16 - (series.empty() ? 0 : l.legend_width + 14);
    l.plot.bottom = l.height - (options.x_label.empty() ? 28 : 48);
    l.legend_left = l.plot.right + 14;
    const double legend_bottom = l.plot.top + 10 + detail::legend_row * double(series.size());
    if (legend_bottom > l.plot.bottom) {  // many series: a taller chart, not a legend off the page
        l.height += int(std::ceil(legend_bottom - l.plot.bottom));
        l.plot.bottom = legend_bottom;
    }
    return l;
}

// ---------------------------------------------------------------- drawing

namespace detail {

/// Okabe & Ito's colour-blind-safe palette, without its yellow (too pale on white).
inline constexpr const char* palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
inline constexpr std::size_t palette_size = std::size(palette);
/// Once every colour is used, the next round of series is dashed, then dotted, ...
inline constexpr const char* dashes[] = {"", "7 4", "2 3", "10 3 2 3"};
inline constexpr std::size_t max_marked_points = 30;

inline std::string escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 forbids most control characters; a line break would not show anyway.
                out += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? ' ' : c;
        }
    }
    return out;
}

/// A coordinate: two decimals, trailing zeros dropped (the files stay small). Callers pass finite
/// numbers only; the guard makes sure no "nan" ever reaches a file.
inline std::string px(double v) {
    if (!std::isfinite(v)) v = 0;
    if (std::abs(v) < 0.005) v = 0;  // no "-0"
    std::string s = fixed(2, v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

inline std::string cut(const std::string& label, std::size_t max_chars) {
    if (text_length(label) <= max_chars) return label;
    std::string out;
    std::size_t chars = 0;
    for (const char c : label) {
        const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (starts_char && ++chars > max_chars - 1) break;
        out += c;
    }
    return out + "\xE2\x80\xA6";  // an ellipsis
}

inline std::string style_of(std::size_t i) {
    std::string style = std::string("stroke=\"") + palette[i % palette_size] + "\"";
    const char* dash = dashes[(i / palette_size) % std::size(dashes)];
    if (*dash) style += std::string(" stroke-dasharray=\"") + dash + "\"";
    return style;
}

inline std::size_t drawable_count(const std::vector<std::vector<std::pair<double, double>>>& runs) {
    std::size_t n = 0;
    for (const auto& r : runs) n += r.size();
    return n;
}

}  // namespace detail

/// The whole SVG document of a line chart: white background, title, axis labels, ticks and grid
/// lines on both axes, one line per series (circles on its points when it has 30 or fewer), and
/// a legend right of the plot. Without any drawable point the chart says "no data".
inline std::string line_chart_svg(const std::vector<Series>& series, const ChartOptions& options) {
    using detail::escape, detail::px;
    const Layout l = layout_chart(series, options);
    const Rect& p = l.plot;
    std::string svg;
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(l.width) + "\" height=\"" +
           std::to_string(l.height) + "\" viewBox=\"0 0 " + std::to_string(l.width) + " " + std::to_string(l.height) +
           "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    if (!options.title.empty()) {
        // A long title gets a smaller font rather than running off the edges.
        const double fit = (l.width - 20) / (0.6 * double(detail::text_length(options.title)));
        svg += "<text x=\"" + px(l.width / 2.0) + "\" y=\"28\" text-anchor=\"middle\" font-size=\"" +
               px(std::clamp(fit, 9.0, 16.0)) + "\" font-weight=\"bold\">" + escape(options.title) + "</text>\n";
    }
    const std::string mid_x = px((p.left + p.right) / 2), mid_y = px((p.top + p.bottom) / 2);
    if (!options.x_label.empty())
        svg += "<text x=\"" + mid_x + "\" y=\"" + px(p.bottom + 38) + "\" text-anchor=\"middle\">" +
               escape(options.x_label) + "</text>\n";
    if (!options.y_label.empty())
        svg += "<text transform=\"translate(16 " + mid_y + ") rotate(-90)\" text-anchor=\"middle\">" +
               escape(options.y_label) + "</text>\n";

    if (l.has_data) {
        std::string grid, minor, marks, labels;
        for (const auto& t : l.x.ticks) {
            const std::string x = px(l.x_pixel(t.value));
            grid += "<line x1=\"" + x + "\" y1=\"" + px(p.top) + "\" x2=\"" + x + "\" y2=\"" + px(p.bottom) + "\"/>\n";
            marks += "<line x1=\"" + x + "\" y1=\"" + px(p.bottom) + "\" x2=\"" + x + "\" y2=\"" + px(p.bottom + 5) + "\"/>\n";
            labels += "<text x=\"" + x + "\" y=\"" + px(p.bottom + 18) + "\" text-anchor=\"middle\">" + escape(t.label) + "</text>\n";
        }
        for (const auto& t : l.y.ticks) {
            const std::string y = px(l.y_pixel(t.value));
            (t.label.empty() ? minor : grid) +=
                "<line x1=\"" + px(p.left) + "\" y1=\"" + y + "\" x2=\"" + px(p.right) + "\" y2=\"" + y + "\"/>\n";
            if (t.label.empty()) continue;
            marks += "<line x1=\"" + px(p.left - 5) + "\" y1=\"" + y + "\" x2=\"" + px(p.left) + "\" y2=\"" + y + "\"/>\n";
            labels += "<text x=\"" + px(p.left - 8) + "\" y=\"" + y + "\" dy=\"0.32em\" text-anchor=\"end\">" + escape(t.label) + "</text>\n";
        }
        svg += "<g stroke=\"#f0f0f0\" stroke-width=\"1\">\n" + minor + "</g>\n";
        svg += "<g stroke=\"#dcdcdc\" stroke-width=\"1\">\n" + grid + "</g>\n";
        svg += "<g stroke=\"#333333\" stroke-width=\"1\">\n" + marks + "</g>\n";
        svg += "<g fill=\"#333333\" font-size=\"11\">\n" + labels + "</g>\n";
    }
    svg += "<rect x=\"" + px(p.left) + "\" y=\"" + px(p.top) + "\" width=\"" + px(p.right - p.left) + "\" height=\"" +
           px(p.bottom - p.top) + "\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n";

    if (!l.has_data) {
        svg += "<text x=\"" + mid_x + "\" y=\"" + mid_y + "\" text-anchor=\"middle\" font-size=\"16\" fill=\"#666666\">no data</text>\n";
        // Say why when there are numbers, but none that a log scale can show.
        const auto finite = [](const Series& s) { return std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); }); };
        if (options.log_y && std::any_of(series.begin(), series.end(), finite))
            svg += "<text x=\"" + mid_x + "\" y=\"" + px((p.top + p.bottom) / 2 + 20) +
                   "\" text-anchor=\"middle\" fill=\"#666666\">(a log scale shows only values above 0)</text>\n";
    }

    std::vector<bool> marked(series.size(), false);
    for (std::size_t i = 0; i < series.size() && l.has_data; ++i) {
        const auto runs = drawable_runs(series[i], l.x, l.y);
        marked[i] = detail::drawable_count(runs) <= detail::max_marked_points;
        std::string lines, circles;
        for (const auto& run : runs) {
            std::string points;
            for (const auto& [x, y] : run) {
                const double sx = l.x_pixel(x), sy = l.y_pixel(y);
                if (!std::isfinite(sx) || !std::isfinite(sy)) continue;
                if (!points.empty()) points += ' ';  // appended: g++ 12 warns falsely on "" + px(...)
                points += px(sx);
                points += ',';
                points += px(sy);
                if (marked[i] || run.size() == 1)  // a lone point has no line to show it
                    circles += "<circle cx=\"" + px(sx) + "\" cy=\"" + px(sy) + "\" r=\"2.5\"/>";
            }
            if (run.size() > 1) lines += "<polyline points=\"" + points + "\"/>\n";
        }
        svg += "<g class=\"series\" fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\" " + detail::style_of(i) +
               ">\n" + lines + "</g>\n";
        if (!circles.empty())
            svg += std::string("<g fill=\"") + detail::palette[i % detail::palette_size] + "\">" + circles + "</g>\n";
    }

    if (!series.empty()) {
        const double top = p.top, height = 10 + detail::legend_row * double(series.size());
        svg += "<g class=\"legend\">\n<rect x=\"" + px(l.legend_left) + "\" y=\"" + px(top) + "\" width=\"" + px(l.legend_width) +
               "\" height=\"" + px(height) + "\" fill=\"white\" stroke=\"#bbbbbb\"/>\n";
        for (std::size_t i = 0; i < series.size(); ++i) {
            const double y = top + 5 + detail::legend_row * (double(i) + 0.5);
            const std::string label = detail::legend_label(series, i);
            svg += "<g class=\"legend-entry\"><line x1=\"" + px(l.legend_left + 8) + "\" y1=\"" + px(y) + "\" x2=\"" +
                   px(l.legend_left + 32) + "\" y2=\"" + px(y) + "\" stroke-width=\"2.2\" " + detail::style_of(i) + "/>";
            if (marked[i])
                svg += std::string("<circle cx=\"") + px(l.legend_left + 20) + "\" cy=\"" + px(y) + "\" r=\"2.5\" fill=\"" +
                       detail::palette[i % detail::palette_size] + "\"/>";
            svg += "<text x=\"" + px(l.legend_left + 38) + "\" y=\"" + px(y) + "\" dy=\"0.32em\">" +
                   escape(detail::cut(label, l.legend_chars)) + "</text></g>\n";
        }
        svg += "</g>\n";
    }
    svg += "</svg>\n";
    return svg;
}

/// Writes line_chart_svg() to a file; throws std::runtime_error naming the file if it cannot.
inline void write_line_chart(const std::filesystem::path& file, const std::vector<Series>& series,
                             const ChartOptions& options) {
    const std::string svg = line_chart_svg(series, options);
    std::ofstream out(file, std::ios::binary);
    if (out) out.write(svg.data(), std::streamsize(svg.size()));
    if (out) out.close();
    if (!out) {
        const int error = errno;
        throw std::runtime_error(file.string() + ": cannot be written" + (error ? std::string(": ") + std::strerror(error) : ""));
    }
}

// ---------------------------------------------------------------- CSV

/// A CSV training log: named columns of numbers, NaN where a cell is empty or "nan".
struct Table {
    std::vector<std::string> columns;
    std::vector<std::vector<double>> rows;  // each as long as columns

    bool has_column(std::string_view name) const {
        return std::find(columns.begin(), columns.end(), name) != columns.end();
    }
    /// The column's values, one per row; throws std::runtime_error naming the column and the
    /// valid ones.
    std::vector<double> column(std::string_view name) const {
        const auto at = std::find(columns.begin(), columns.end(), name);
        if (at == columns.end()) {
            std::string valid;
            for (const auto& c : columns) valid += (valid.empty() ? "" : ", ") + c;
            throw std::runtime_error("no column '" + std::string(name) + "'; the columns are: " + valid);
        }
        std::vector<double> values;
        values.reserve(rows.size());
        for (const auto& row : rows) values.push_back(row[std::size_t(at - columns.begin())]);
        return values;
    }
};

namespace detail {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

inline std::vector<std::string_view> split_cells(std::string_view line) {
    std::vector<std::string_view> cells;
    for (;;) {
        const auto comma = line.find(',');
        cells.push_back(trim(line.substr(0, comma)));
        if (comma == std::string_view::npos) return cells;
        line.remove_prefix(comma + 1);
    }
}

/// A cell's number; NaN for a missing value (empty, nan, NaN, -nan); nullopt-like false if the
/// cell is not a number.
inline bool parse_cell(std::string_view cell, double& value) {
    if (cell.empty() || cell == "nan" || cell == "NaN" || cell == "-nan" || cell == "NAN") {
        value = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    if (cell.front() == '+') cell.remove_prefix(1);  // from_chars takes no '+'
    const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    return error == std::errc{} && end == cell.data() + cell.size();
}

}  // namespace detail

/// Reads a CSV log: a header row of column names, then rows of numbers with as many cells
/// (blank lines skipped). Throws std::runtime_error naming the file, and the line of a bad row.
inline Table read_csv(const std::filesystem::path& file) {
    std::error_code ignored;
    if (std::filesystem::is_directory(file, ignored)) throw std::runtime_error(file.string() + ": is a directory, not a CSV file");
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        const int error = errno;
        throw std::runtime_error(file.string() + ": cannot be read" + (error ? std::string(": ") + std::strerror(error) : ""));
    }
    Table table;
    std::string line;
    bool header = true;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        std::string_view text = line;
        if (number == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte-order mark
        if (detail::trim(text).empty()) continue;
        const auto cells = detail::split_cells(text);
        const std::string where = file.string() + ":" + std::to_string(number) + ": ";
        if (header) {
            for (const auto cell : cells) table.columns.emplace_back(cell);
            header = false;
            continue;
        }
        if (cells.size() != table.columns.size())
            throw std::runtime_error(where + std::to_string(cells.size()) + " cells, but the header has " +
                                     std::to_string(table.columns.size()) + " columns");
        std::vector<double> row(cells.size());
        for (std::size_t i = 0; i < cells.size(); ++i)
            if (!detail::parse_cell(cells[i], row[i]))
                throw std::runtime_error(where + "column '" + table.columns[i] + "': '" + std::string(cells[i]) +
                                         "' is not a number");
        table.rows.push_back(std::move(row));
    }
    if (in.bad()) throw std::runtime_error(file.string() + ": read error");
    if (header) throw std::runtime_error(file.string() + ": empty, no header row");
    return table;
}

}  // namespace svg_chart
