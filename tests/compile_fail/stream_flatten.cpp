// EXPECT: LAYER_CANNOT_STREAM<2, ctnn::Flatten>
#include <ctnn/ctnn.hpp>
using Net = ctnn::Seq<ctnn::Input<2, 16>, ctnn::Conv1D<2, 4, 3>, ctnn::Tanh, ctnn::Flatten, ctnn::Linear<56, 2>>;
int main() {
    ctnn::Stream<Net> voice;
    voice.reset();
}
