#pragma once
// The one exception type of ctnn's file readers and writers (IDX, safetensors): what() names the
// file and what was expected. The numeric core never throws; only io does.
#include <stdexcept>

namespace ctnn::io {

struct Error : std::runtime_error {
    using runtime_error::runtime_error;
};

}  // namespace ctnn::io
