#pragma once
// Where the file-handling functions of ctnn::io are compiled. By default they are inline, like the
// rest of ctnn: nothing to build. They are also most of the compile time of a translation unit
// that reads IDX files or loads and saves a model (about 4 s of g++ -O3 in each), so a program can
// compile them once instead: with CTNN_IO_SEPARATE_COMPILATION defined in every translation unit
// they are only declared, and the one translation unit that includes <ctnn/io/implementation.hpp>
// defines them (CMake: link ctnn::io_compiled, which does both). docs/io.md, "Compiling the I/O once".
//
// CTNN_IO_INLINE marks those functions (inline, or nothing when compiled once);
// CTNN_IO_DEFINITIONS says whether this translation unit sees their bodies.
#if defined(CTNN_IO_SEPARATE_COMPILATION)
#define CTNN_IO_INLINE
#if defined(CTNN_IO_IMPLEMENTATION)
#define CTNN_IO_DEFINITIONS 1
#else
#define CTNN_IO_DEFINITIONS 0
#endif
#else
#define CTNN_IO_INLINE inline
#define CTNN_IO_DEFINITIONS 1
#endif
