// EXPECT: LAYER_SIZE_IS_ZERO<0, ctnn::Linear<0, 10>, 0, 10>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<0, 10>, ctnn::ReLU>;
static_assert(Net::in_size == 0);
