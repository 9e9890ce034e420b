// EXPECT: CONV_GROUPS_DO_NOT_DIVIDE_CHANNELS<4, 6, 8>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<6, 8, 8>, ctnn::Conv2D<6, 8, 3, ctnn::Groups<4>>>;
int main() {
    Net net;
    return int(Net::out_size);
}
