#pragma once
// The outcome of a no-throw load (try_load_safetensors): ok, or what went wrong, with the same
// message the throwing variant puts in ctnn::io::Error.
#include "result.hpp"

namespace ctnn::io {

enum class LoadErrorKind {
    none,               // loaded
    file,               // cannot open or read the file
    truncated,          // shorter than its 8-byte length prefix or its header says
    header_too_big,     // header length above safetensors_max_header_bytes (often: not a safetensors file)
    invalid_json,       // the header is not JSON
    invalid_header,     // JSON, but not a safetensors header (schema, duplicate names, metadata)
    bad_offsets,        // data_offsets disagree with the shape, overlap, leave a hole or run past the data
    unsupported_dtype,  // a dtype the format does not define, or one ctnn does not convert
    missing_tensor,     // the model expects a tensor the file does not have
    unexpected_tensor,  // the file has a tensor the model does not expect
    wrong_shape,        // a tensor's shape is not the one the model's layer has
    not_finite,         // NaN or infinity in the weights (or an F64 beyond the float range)
    invalid_value,      // a value the tensor cannot hold (a negative count, a quantisation scale not positive)
    wrong_model,        // the file's ctnn.signature names other layers than the model's
    out_of_memory,
};

using LoadResult = Result<LoadErrorKind>;

}  // namespace ctnn::io
