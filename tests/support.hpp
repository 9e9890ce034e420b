#pragma once
// Helpers shared by the tests: seeded data and element-wise comparison with a stated tolerance.
#include <catch2/catch.hpp>
#include <unistd.h>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <span>
#include <sstream>
#include <vector>
#include <ctnn/init/pytorch_default.hpp>
#include <ctnn/util/rng.hpp>

namespace test {

/// A Net on the heap with PyTorch's default initialisation, seeded.
template <class Net>
std::unique_ptr<Net> make_net(std::uint64_t seed) {
    auto net = std::make_unique<Net>();
    ctnn::Rng rng(seed);
    ctnn::init::pytorch_default(*net, rng);
    return net;
}

inline std::vector<float> random_vector(std::size_t n, std::uint64_t seed, double scale = 1.0) {
    ctnn::Rng rng(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float(rng.uniform(-scale, scale));
    return v;
}

/// |a - b| <= abs_tol + rel_tol * |b| for every element; reports the first failure and the worst.
inline void require_close(std::span<const float> actual, std::span<const float> expected, double rel_tol,
                          double abs_tol, const char* what = "") {
    REQUIRE(actual.size() == expected.size());
    std::size_t bad = 0, first = 0;
    double worst = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double err = std::abs(double(actual[i]) - expected[i]);
        const double allowed = abs_tol + rel_tol * std::abs(double(expected[i]));
        if (!(err <= allowed)) {
            if (bad++ == 0) first = i;
        }
        worst = std::max(worst, err / (allowed > 0 ? allowed : 1));
    }
    if (bad) {
        std::ostringstream msg;
        msg << what << ": " << bad << " of " << actual.size() << " elements differ; first at " << first << ": "
            << actual[first] << " vs expected " << expected[first] << "; worst error " << worst << "x the tolerance";
        FAIL(msg.str());
    }
    SUCCEED();
}

/// A fresh directory under the system temp dir, removed at scope exit; unique per process and
/// per instance (they may nest).
struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& prefix = "ctnn_test") {
        static int count = 0;
        path = std::filesystem::temp_directory_path() /
               (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(count++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

}  // namespace test
