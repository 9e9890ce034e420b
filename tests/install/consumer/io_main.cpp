// Links ctnn::io (zlib), or ctnn::io_compiled (the same functions compiled once, in a static
// library): the IDX reader refuses a missing file with a message naming it.
#include <ctnn/io/idx.hpp>
#include <cstdio>
#include <cstring>

int main() {
    try {
        ctnn::io::read_idx_labels("no-such-file-idx1-ubyte.gz");
    } catch (const ctnn::io::Error& e) {
        const bool named = std::strstr(e.what(), "no-such-file-idx1-ubyte.gz") != nullptr;
#if defined(CTNN_IO_SEPARATE_COMPILATION)
        const char* program = "consumer io compiled";
#else
        const char* program = "consumer io";
#endif
        std::printf("%s %s: %s\n", program, named ? "ok" : "MISSING FILE NAME", e.what());
        return named ? 0 : 1;
    }
    return 1;
}
