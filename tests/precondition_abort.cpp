// A broken run-time precondition aborts with the numbers and the caller's line (ctest checks the
// message; see docs/errors.md). The argument picks the precondition.
#include <ctnn/ctnn.hpp>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
    ctnn::Seq<ctnn::Linear<3, 2>> net;
    if (argc > 1 && std::strcmp(argv[1], "int8") == 0) {
        const std::vector<float> calibration(7);  // two samples and a third of one
        const ctnn::Int8Model<decltype(net)> q(net, calibration);
        return 0;
    }
    ctnn::InferenceScratch<decltype(net)> scratch(4);
    std::vector<float> x(5 * 3), y(5 * 2);
    net.forward(x, y, scratch);  // 5 samples, room for 4
}
