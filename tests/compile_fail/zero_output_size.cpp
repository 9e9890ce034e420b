// EXPECT: LAYER_SIZE_IS_ZERO<2, ctnn::Linear<8, 0>, 8, 0>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<4, 8>, ctnn::Tanh, ctnn::Linear<8, 0>>;
Net net;
