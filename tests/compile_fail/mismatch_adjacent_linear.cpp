// EXPECT: LAYER_SIZES_DO_NOT_MATCH<0, ctnn::Linear<784, 256>, 256, 1, ctnn::Linear<128, 10>, 128>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<784, 256>, ctnn::Linear<128, 10>>;
Net net;
