// A broken run-time precondition aborts with the numbers and the caller's line (ctest checks the
// message; see docs/errors.md).
#include <ctnn/ctnn.hpp>
#include <vector>

int main() {
    ctnn::Seq<ctnn::Linear<3, 2>> net;
    ctnn::InferenceScratch<decltype(net)> scratch(4);
    std::vector<float> x(5 * 3), y(5 * 2);
    net.forward(x, y, scratch);  // 5 samples, room for 4
}
