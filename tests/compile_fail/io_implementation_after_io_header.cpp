// EXPECT: ctnn: include <ctnn/io/implementation.hpp> before any other ctnn::io header
// The translation unit that defines the I/O's functions must see their bodies, which an I/O
// header included earlier has already decided against.
#include <ctnn/io/idx.hpp>
#include <ctnn/io/implementation.hpp>
