// EXPECT: an Int8Model dispatches as ctnn::DispatchedInference<Net, ctnn::precision::int8>
// An int8 model given to the fp32 dispatch (the default precision): one message naming the right one.
#include <ctnn/ctnn.hpp>
#include <ctnn/model/dispatch.hpp>
using Net = ctnn::Seq<ctnn::Linear<4, 3>>;
void run(const ctnn::Int8Model<Net>& q) {
    const ctnn::DispatchedInference<Net> infer(q);
    (void)infer;
}
