// examples/common/svg_chart.hpp: the tick choices, the mapping of data to pixels, gaps, escaping,
// the "no data" chart, and the CSV reader's errors. The pictures themselves were checked by eye
// (rendered to PNG); these tests pin down what can be stated in numbers.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <string>
#include <vector>
#include "support.hpp"
#include "svg_chart.hpp"

namespace {

using svg_chart::Series;
using svg_chart::ChartOptions;
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double Inf = std::numeric_limits<double>::infinity();

std::vector<double> values(const std::vector<svg_chart::Tick>& ticks, bool labelled_only = false) {
    std::vector<double> v;
    for (const auto& t : ticks)
        if (!labelled_only || !t.label.empty()) v.push_back(t.value);
    return v;
}

std::vector<std::string> labels(const std::vector<svg_chart::Tick>& ticks) {
    std::vector<std::string> v;
    for (const auto& t : ticks)
        if (!t.label.empty()) v.push_back(t.label);
    return v;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

/// The points of every <polyline>, as (x, y) pixel pairs.
std::vector<std::vector<std::pair<double, double>>> polylines(const std::string& svg) {
    std::vector<std::vector<std::pair<double, double>>> lines;
    const std::regex polyline(R"re(<polyline points="([^"]*)")re"), point(R"(([-0-9.]+),([-0-9.]+))");
    for (std::sregex_iterator it(svg.begin(), svg.end(), polyline), end; it != end; ++it) {
        const std::string points = (*it)[1];
        lines.emplace_back();
        for (std::sregex_iterator p(points.begin(), points.end(), point); p != end; ++p)
            lines.back().emplace_back(std::stod((*p)[1]), std::stod((*p)[2]));
    }
    return lines;
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

/// The step between consecutive ticks is one of 1, 2, 5 times a power of ten.
bool one_two_five(double step) {
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    return std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 || std::abs(mantissa - 5) < 1e-6 ||
           std::abs(mantissa - 10) < 1e-6;
}

}  // namespace

TEST_CASE("linear ticks are 1-2-5 steps that cover the data with 4 to 8 ticks", "[svg_chart]") {
    SECTION("0..1") {
        const auto ticks = svg_chart::linear_ticks(0, 1);
        REQUIRE(ticks.size() == 6);
        const std::vector<double> expected{0, 0.2, 0.4, 0.6, 0.8, 1.0};
        for (std::size_t i = 0; i < ticks.size(); ++i) CHECK(ticks[i].value == Approx(expected[i]).margin(1e-12));
        CHECK(labels(ticks) == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
    }
    SECTION("0..129.3: steps of 20 up to 140") {
        const auto ticks = svg_chart::linear_ticks(0, 129.3);
        CHECK(values(ticks) == std::vector<double>{0, 20, 40, 60, 80, 100, 120, 140});
        CHECK(labels(ticks).back() == "140");
    }
    SECTION("negative to positive") {
        const auto ticks = svg_chart::linear_ticks(-3, 7);
        CHECK(labels(ticks) == std::vector<std::string>{"-4", "-2", "0", "2", "4", "6", "8"});
    }
    SECTION("any range") {
        for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{
                 {0, 1}, {0, 129.3}, {2.2, 2.7}, {-0.013, 0.004}, {1e-9, 3e-9}, {0.31, 0.3101}, {17, 980}, {-5e6, -1e6}, {0, 0.6}}) {
            INFO(lo << ".." << hi);
            const auto ticks = svg_chart::linear_ticks(lo, hi);
            REQUIRE(ticks.size() >= 4);
            REQUIRE(ticks.size() <= 8);
            CHECK(ticks.front().value <= lo);
            CHECK(ticks.back().value >= hi);
            const double step = ticks[1].value - ticks[0].value;
            CHECK(one_two_five(step));
            // Distinct labels: the decimals follow the step.
            auto l = labels(ticks);
            CHECK(std::unique(l.begin(), l.end()) == l.end());
        }
    }
    SECTION("integer data get whole-number steps") {
        CHECK(labels(svg_chart::linear_ticks_inside(1, 3, true)) == std::vector<std::string>{"1", "2", "3"});
        CHECK(labels(svg_chart::linear_ticks_inside(1, 15, true)) ==
              std::vector<std::string>{"2", "4", "6", "8", "10", "12", "14"});
        // Without the integer constraint 1..3 would get 0.5 steps.
        CHECK(svg_chart::linear_ticks_inside(1, 3, false).size() == 5);
    }
    SECTION("an empty range has no ticks") {
        CHECK(svg_chart::linear_ticks(1, 1).empty());
        CHECK(svg_chart::linear_ticks(2, 1).empty());
    }
}

TEST_CASE("the linear y axis starts at zero for costs and fractions, and pads a constant", "[svg_chart]") {
    const auto cost = svg_chart::linear_axis(2.1, 129.3);  // 2.1 < 40% of 129.3
    CHECK(cost.lo == 0);
    CHECK(cost.hi == 140);
    const auto accuracy = svg_chart::linear_axis(0.91, 0.98);  // a narrow band stays zoomed in
    CHECK(accuracy.lo > 0.8);
    CHECK(accuracy.hi <= 1.0);
    const auto constant = svg_chart::linear_axis(5, 5);
    CHECK(constant.lo < 5);
    CHECK(constant.hi > 5);
    CHECK(constant.fraction(5) == Approx(0.5));
    const auto zero = svg_chart::linear_axis(0, 0);
    CHECK(zero.lo == 0);
    CHECK(zero.hi == 1);
}

TEST_CASE("log ticks are the powers of ten around the data, labelled as %g writes them", "[svg_chart]") {
    const auto axis = svg_chart::log_axis(1e-10, 3e-3);
    CHECK(axis.log);
    CHECK(axis.lo == 1e-10);
    CHECK(axis.hi == 1e-2);
    CHECK(labels(axis.ticks) == std::vector<std::string>{"1e-10", "1e-09", "1e-08", "1e-07", "1e-06", "1e-05", "0.0001",
                                                        "0.001", "0.01"});
    SECTION("data on a power of ten keep it as the edge") {
        const auto exact = svg_chart::log_axis(1e-3, 10);
        CHECK(exact.lo == 1e-3);
        CHECK(exact.hi == 10);
        CHECK(labels(exact.ticks) == std::vector<std::string>{"0.001", "0.01", "0.1", "1", "10"});
    }
    SECTION("within one decade, 2 and 5 are labelled too") {
        const auto short_axis = svg_chart::log_axis(0.3, 0.6);
        CHECK(short_axis.lo == Approx(0.1));
        CHECK(short_axis.hi == Approx(1));
        CHECK(labels(short_axis.ticks) == std::vector<std::string>{"0.1", "0.2", "0.5", "1"});
    }
    SECTION("forty decades: at most 11 labels") {
        const auto wide = svg_chart::log_axis(1e-30, 1e10);
        CHECK(labels(wide.ticks).size() <= 11);
        CHECK(wide.lo <= 1e-30);
        CHECK(wide.hi >= 1e10);
    }
    SECTION("a constant power of ten sits mid-chart") {
        const auto constant = svg_chart::log_axis(1e-3, 1e-3);
        CHECK(constant.fraction(1e-3) == Approx(0.5));
    }
}

TEST_CASE("data map to pixels: the maximum on the plot's top, log decades evenly spaced", "[svg_chart]") {
    SECTION("the axes' fractions") {
        const svg_chart::Axis log_axis{1e-4, 1e-2, true, {}};
        CHECK(log_axis.fraction(1e-3) == Approx(0.5));
        CHECK(log_axis.fraction(1e-4) == Approx(0).margin(1e-12));
        CHECK(log_axis.fraction(1e-2) == Approx(1));
        const svg_chart::Axis linear{0, 140, false, {}};
        CHECK(linear.fraction(70) == Approx(0.5));
    }
    SECTION("linear: in the SVG, the point at the data's maximum is on the top edge") {
        const std::vector<Series> s{{"run", {1, 2, 3}, {0.2, 0.5, 1.0}}};
        const ChartOptions options{.title = "t", .x_label = "epoch", .y_label = "fraction"};
        const auto layout = svg_chart::layout_chart(s, options);
        REQUIRE(layout.y.lo == 0);
        REQUIRE(layout.y.hi == Approx(1));
        const auto lines = polylines(svg_chart::line_chart_svg(s, options));
        REQUIRE(lines.size() == 1);
        REQUIRE(lines[0].size() == 3);
        CHECK(lines[0][2].second == Approx(layout.plot.top).margin(0.01));
        CHECK(lines[0][0].second == Approx(layout.plot.bottom - 0.2 * (layout.plot.bottom - layout.plot.top)).margin(0.01));
        // x increases left to right, inside the plot area.
        CHECK(lines[0][0].first > layout.plot.left);
        CHECK(lines[0][0].first < lines[0][1].first);
        CHECK(lines[0][2].first < layout.plot.right);
    }
    SECTION("log: 1e-3 lands halfway between 1e-4 and 1e-2") {
        const std::vector<Series> s{{"run", {1, 2, 3}, {1e-4, 1e-3, 1e-2}}};
        const ChartOptions options{.log_y = true};
        const auto layout = svg_chart::layout_chart(s, options);
        REQUIRE(layout.y.lo == 1e-4);
        REQUIRE(layout.y.hi == 1e-2);
        const auto lines = polylines(svg_chart::line_chart_svg(s, options));
        REQUIRE(lines.size() == 1);
        REQUIRE(lines[0].size() == 3);
        CHECK(lines[0][0].second == Approx(layout.plot.bottom).margin(0.01));
        CHECK(lines[0][2].second == Approx(layout.plot.top).margin(0.01));
        CHECK(lines[0][1].second == Approx((layout.plot.top + layout.plot.bottom) / 2).margin(0.01));
    }
    SECTION("epochs get integer x ticks") {
        const std::vector<Series> s{{"run", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, std::vector<double>(15, 1.0)}};
        const auto layout = svg_chart::layout_chart(s, {});
        for (const auto& t : layout.x.ticks) CHECK(t.value == std::round(t.value));
        CHECK(layout.x.lo < 1);
        CHECK(layout.x.hi > 15);
    }
}

TEST_CASE("a point that cannot be drawn breaks the line", "[svg_chart]") {
    SECTION("NaN splits a line into two polylines") {
        const std::vector<Series> s{{"run", {1, 2, 3, 4, 5}, {1, 2, NaN, 3, 4}}};
        const auto lines = polylines(svg_chart::line_chart_svg(s, {}));
        REQUIRE(lines.size() == 2);
        CHECK(lines[0].size() == 2);
        CHECK(lines[1].size() == 2);
    }
    SECTION("on a log scale, values <= 0 are gaps; a lone point is a marker, not a line") {
        const Series s{"run", {1, 2, 3, 4, 5, 6}, {1e-3, 0, 1e-2, 2e-2, -1, 3e-2}};
        const svg_chart::Axis x{0, 10, false, {}}, y{1e-4, 1, true, {}};
        const auto runs = svg_chart::drawable_runs(s, x, y);
        REQUIRE(runs.size() == 3);
        CHECK(runs[0].size() == 1);
        CHECK(runs[1].size() == 2);
        CHECK(runs[2].size() == 1);
        const std::string svg = svg_chart::line_chart_svg({s}, {.log_y = true});
        CHECK(polylines(svg).size() == 1);
        CHECK(count(svg, "<circle") >= 4 + 1);  // the 4 drawable points, and the legend's swatch
    }
    SECTION("an infinite x is a gap too, and x and y pair up to the shorter") {
        const Series s{"run", {1, Inf, 3, 4, 5}, {1, 2, 3}};
        const svg_chart::Axis x{0, 10, false, {}}, y{0, 10, false, {}};
        const auto runs = svg_chart::drawable_runs(s, x, y);
        REQUIRE(runs.size() == 2);
        CHECK(runs[1] == std::vector<std::pair<double, double>>{{3, 3}});
    }
}

TEST_CASE("text is XML-escaped", "[svg_chart]") {
    const std::vector<Series> s{{"a<b & \"c\"", {1, 2}, {1, 2}}};
    const std::string svg =
        svg_chart::line_chart_svg(s, {.title = "cost < 1 & \"done\"", .x_label = "x>0", .y_label = "it's"});
    CHECK(svg.find("cost &lt; 1 &amp; &quot;done&quot;") != std::string::npos);
    CHECK(svg.find("a&lt;b &amp; &quot;c&quot;") != std::string::npos);
    CHECK(svg.find("x&gt;0") != std::string::npos);
    CHECK(svg.find("it&apos;s") != std::string::npos);
    CHECK(svg.find("cost < 1") == std::string::npos);
    CHECK(svg.find("a<b") == std::string::npos);
}

TEST_CASE("a chart without drawable points says \"no data\"", "[svg_chart]") {
    const auto check_no_data = [](const std::vector<Series>& s, const ChartOptions& o) {
        const std::string svg = svg_chart::line_chart_svg(s, o);
        CHECK(svg.find(">no data<") != std::string::npos);
        CHECK(svg.find("<polyline") == std::string::npos);
        CHECK(lowercase(svg).find("nan") == std::string::npos);
        CHECK(svg.rfind("</svg>") != std::string::npos);
    };
    check_no_data({}, {.title = "empty"});
    check_no_data({{"gaps", {1, 2, 3}, {NaN, NaN, Inf}}}, {});
    check_no_data({{"none", {}, {}}}, {});
    check_no_data({{"not positive", {1, 2}, {0, -1}}}, {.log_y = true});
}

TEST_CASE("no NaN or inf reaches the SVG, whatever the data", "[svg_chart]") {
    constexpr double big = std::numeric_limits<double>::max();
    constexpr double tiny = std::numeric_limits<double>::denorm_min();
    const std::vector<std::vector<Series>> nasty{
        {{"extremes", {1, 2, 3, 4}, {-big, big, 0, 1}}},
        {{"huge constant", {1, 2}, {big, big}}},
        {{"denormals", {1, 2, 3}, {tiny, 2 * tiny, 0}}},
        {{"one point", {7}, {3}}},
        {{"same x", {2, 2, 2}, {1, 2, 3}}},
        {{"1 and 1+ulp", {1, 2}, {1, std::nextafter(1.0, 2.0)}}},
        {{"unbounded values", {-Inf, 0, Inf, 1}, {1, Inf, 2, -Inf}}},
        {{"x near max", {big, -big}, {1, 2}}},
        {{"x denormal", {tiny, 0}, {1, 2}}},
        {{"", {1, 2}, {1, 2}}, {"", {}, {}}},
    };
    for (const auto& series : nasty) {
        for (const bool log_y : {false, true}) {
            INFO(series[0].label << (log_y ? ", log" : ", linear"));
            const std::string svg = lowercase(svg_chart::line_chart_svg(series, {.title = "t", .log_y = log_y}));
            CHECK(svg.find("nan") == std::string::npos);
            CHECK(svg.find("inf") == std::string::npos);
            CHECK(svg.rfind("</svg>") != std::string::npos);
        }
    }
}

TEST_CASE("the legend has one entry per series, coloured then dashed", "[svg_chart]") {
    std::vector<Series> s;
    for (int i = 0; i < 9; ++i) s.push_back({"run " + std::to_string(i), {1, 2, 3}, {1.0 + i, 2.0 + i, 3.0 + i}});
    const std::string svg = svg_chart::line_chart_svg(s, {});
    CHECK(count(svg, "class=\"legend-entry\"") == 9);
    for (int i = 0; i < 9; ++i) CHECK(svg.find(">run " + std::to_string(i) + "<") != std::string::npos);
    // The palette's 7 colours, then the same colours dashed.
    const std::regex series_style(R"re(<g class="series"[^>]*stroke="(#[0-9A-Fa-f]{6})"( stroke-dasharray="[^"]*")?)re");
    std::vector<std::string> colours, dashes;
    for (std::sregex_iterator it(svg.begin(), svg.end(), series_style), end; it != end; ++it) {
        colours.push_back((*it)[1]);
        dashes.push_back((*it)[2]);
    }
    REQUIRE(colours.size() == 9);
    std::vector<std::string> first_seven(colours.begin(), colours.begin() + 7);
    std::sort(first_seven.begin(), first_seven.end());
    CHECK(std::unique(first_seven.begin(), first_seven.end()) == first_seven.end());
    for (int i = 0; i < 7; ++i) CHECK(dashes[std::size_t(i)].empty());
    CHECK_FALSE(dashes[7].empty());
    CHECK(colours[7] == colours[0]);
}

TEST_CASE("circle markers only on series of 30 points or fewer", "[svg_chart]") {
    const auto line = [](int n) {
        Series s{"run", {}, {}};
        for (int i = 1; i <= n; ++i) s.x.push_back(i), s.y.push_back(1.0 / i);
        return s;
    };
    CHECK(count(svg_chart::line_chart_svg({line(30)}, {}), "<circle") == 30 + 1);  // + the legend's
    CHECK(count(svg_chart::line_chart_svg({line(31)}, {}), "<circle") == 0);
}

TEST_CASE("write_line_chart writes the file, and names it when it cannot", "[svg_chart]") {
    const test::TempDir dir("ctnn_svg_chart");
    const auto file = dir / "chart.svg";
    svg_chart::write_line_chart(file, {{"run", {1, 2}, {3, 4}}}, {.title = "written"});
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.starts_with("<svg "));
    CHECK(text.find("written") != std::string::npos);
    CHECK_THROWS_WITH(svg_chart::write_line_chart(dir / "no/such/folder/chart.svg", {}, {}),
                      Catch::Contains("no/such/folder/chart.svg") && Catch::Contains("cannot be written"));
}

TEST_CASE("read_csv reads a training log, and its errors name the file and line", "[svg_chart][csv]") {
    const test::TempDir dir("ctnn_svg_chart_csv");
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
        return dir / name;
    };
    SECTION("numbers, missing values, blank lines, CRLF and a byte-order mark") {
        const auto file = write("log.csv", "\xEF\xBB\xBF" "epoch,cost, dead\r\n1,129.5,0\r\n\r\n2,20,\r\n3,1e-3,nan\r\n");
        const auto table = svg_chart::read_csv(file);
        CHECK(table.columns == std::vector<std::string>{"epoch", "cost", "dead"});
        REQUIRE(table.rows.size() == 3);
        CHECK(table.column("epoch") == std::vector<double>{1, 2, 3});
        CHECK(table.column("cost") == std::vector<double>{129.5, 20, 1e-3});
        const auto dead = table.column("dead");
        CHECK(dead[0] == 0);
        CHECK(std::isnan(dead[1]));
        CHECK(std::isnan(dead[2]));
        CHECK(table.has_column("cost"));
        CHECK_FALSE(table.has_column("accuracy"));
        CHECK_THROWS_WITH(table.column("accuracy"),
                          Catch::Contains("no column 'accuracy'") && Catch::Contains("epoch, cost, dead"));
    }
    SECTION("a row with the wrong number of cells") {
        const auto file = write("short.csv", "epoch,cost\n1,2\n2\n");
        CHECK_THROWS_WITH(svg_chart::read_csv(file), Catch::Contains("short.csv:3:") && Catch::Contains("1 cells") &&
                                                         Catch::Contains("2 columns"));
    }
    SECTION("a cell that is not a number") {
        const auto file = write("word.csv", "epoch,cost\n1,2\n2,3\n3,abc\n");
        CHECK_THROWS_WITH(svg_chart::read_csv(file), Catch::Contains("word.csv:4:") && Catch::Contains("column 'cost'") &&
                                                         Catch::Contains("'abc' is not a number"));
        const auto partial = write("partial.csv", "epoch,cost\n1,2.5x\n");
        CHECK_THROWS_WITH(svg_chart::read_csv(partial), Catch::Contains("partial.csv:2:"));
    }
    SECTION("a file that is missing, empty or a folder") {
        CHECK_THROWS_WITH(svg_chart::read_csv(dir / "missing.csv"), Catch::Contains("missing.csv: cannot be read"));
        CHECK_THROWS_WITH(svg_chart::read_csv(write("empty.csv", "\n\n")), Catch::Contains("empty.csv: empty"));
        CHECK_THROWS_WITH(svg_chart::read_csv(dir.path), Catch::Contains("is a directory"));
    }
}
