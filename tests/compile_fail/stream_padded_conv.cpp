// EXPECT: LAYER_CANNOT_STREAM<2, ctnn::Conv1D<4, 4, 3, ctnn::SamePadding> >
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<2, 16>, ctnn::Conv1D<2, 4, 3>, ctnn::Tanh, ctnn::Conv1D<4, 4, 3, ctnn::SamePadding>>;
int main() {
    ctnn::Stream<Net> voice;
    voice.reset();
}
