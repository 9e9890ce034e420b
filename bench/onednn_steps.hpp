#pragma once
// What the oneDNN baselines share: an engine and stream, a network as a list of primitives made
// once for a batch size and executed in order, float input and output copied in and out, the
// ReLU post-op; and one oneDNN thread unless OMP_NUM_THREADS says otherwise.
#include <algorithm>
#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bench {

class OneDnnSteps {
public:
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;

    /// Copies `batch` samples of in_size floats in, runs every step, copies out_size floats out.
    void run(const float* x, float* y) {
        std::copy_n(x, in_floats_, static_cast<float*>(src_.get_data_handle()));
        for (std::size_t i = 0; i < steps_.size(); ++i) steps_[i].execute(stream_, args_[i]);
        stream_.wait();
        std::copy_n(static_cast<const float*>(dst_.get_data_handle()), out_floats_, y);
    }

protected:
    OneDnnSteps(long batch, long in_size, long out_size)
        : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_), batch_(batch), in_floats_(batch * in_size),
          out_floats_(batch * out_size) {}

    static dnnl::primitive_attr relu() {
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
        dnnl::primitive_attr attr;
        attr.set_post_ops(ops);
        return attr;
    }

    void add(dnnl::primitive p, std::unordered_map<int, dnnl::memory> args) {
        steps_.push_back(std::move(p));
        args_.push_back(std::move(args));
    }

    dnnl::engine engine_;
    dnnl::stream stream_;
    long batch_;
    dnnl::memory src_, dst_;  // set by the network's constructor

private:
    long in_floats_, out_floats_;
    std::vector<dnnl::primitive> steps_;
    std::vector<std::unordered_map<int, dnnl::memory>> args_;
};

/// oneDNN's OpenMP runtime reads its thread count when the library loads: one thread unless
/// asked otherwise, by starting the program again with the variable set.
inline void one_onednn_thread(char** argv) {
    if (!std::getenv("OMP_NUM_THREADS")) {
        setenv("OMP_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
}

}  // namespace bench
