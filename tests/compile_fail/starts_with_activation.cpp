// EXPECT: SEQ_MUST_START_WITH_A_SIZED_LAYER<ctnn::ReLU>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::ReLU, ctnn::Linear<3, 4>>;
Net net;
