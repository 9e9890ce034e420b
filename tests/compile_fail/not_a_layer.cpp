// EXPECT: ctnn::error::NOT_A_LAYER<1, int>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Linear<4, 3>, int, ctnn::Linear<3, 2>>;
int main() { Net net; }
