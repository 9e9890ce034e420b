#pragma once
// The one translation unit of a program that defines ctnn::io's file-handling functions when the
// rest of the program declares them only (CTNN_IO_SEPARATE_COMPILATION; detail/linkage.hpp):
//
//   // ctnn_io.cpp, compiled once and linked with zlib (-lz)
//   #include <ctnn/io/implementation.hpp>
//
// CMake's ctnn::io_compiled target builds such a file and defines the macro for its users.
// Include it before any other ctnn::io header: the first one fixes which bodies the translation
// unit sees.
#if defined(CTNN_IO_DEFINITIONS)
#error "ctnn: include <ctnn/io/implementation.hpp> before any other ctnn::io header of its translation unit"
#endif
#if !defined(CTNN_IO_SEPARATE_COMPILATION)
#define CTNN_IO_SEPARATE_COMPILATION
#endif
#define CTNN_IO_IMPLEMENTATION
#include "idx.hpp"
#include "tensor_file.hpp"
