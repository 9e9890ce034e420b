// EXPECT: SEQ_HAS_NO_LAYERS<ctnn::Seq<> >
#include <ctnn/ctnn.hpp>
ctnn::Seq<> net;
