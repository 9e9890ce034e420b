#pragma once
// The outcome of a no-throw save (try_save_safetensors, try_save_tensors): ok, or what went
// wrong, with the same message the throwing variant puts in ctnn::io::Error.
#include "result.hpp"

namespace ctnn::io {

enum class SaveErrorKind {
    none,              // saved
    invalid_metadata,  // a reserved key, or a key or value that is not UTF-8
    invalid_table,     // the tensors to save name one tensor twice, or have a name a file cannot hold
    not_finite,        // NaN or infinity in a tensor: the file could not be loaded back
    file,              // cannot create, write or rename the file
    out_of_memory,
};

using SaveResult = Result<SaveErrorKind>;

}  // namespace ctnn::io
