#pragma once
// The outcome of a no-throw io call: ok, or what went wrong (a Kind enumeration, whose `none`
// means ok) with the same message the throwing variant puts in ctnn::io::Error. LoadResult and
// SaveResult are its two uses.
#include <string>

namespace ctnn::io {

template <class Kind>
struct [[nodiscard]] Result {
    Kind kind = Kind::none;
    std::string message;  // empty when ok

    bool ok() const noexcept { return kind == Kind::none; }
    explicit operator bool() const noexcept { return ok(); }
};

}  // namespace ctnn::io
