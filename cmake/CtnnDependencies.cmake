# ctnn's dependencies, found the same way for a build of ctnn, for add_subdirectory(ctnn) and for
# find_package(ctnn) (ctnnConfig.cmake includes this file): xsimd 8.1 and threads for ctnn::ctnn,
# zlib (optional) for ctnn::io. Every target it creates is local to the including directory.
include(CMakeFindDependencyMacro)
find_dependency(xsimd 8.1)
# Debian's xsimd 8.1 target lists "xtl" as a link dependency although the headers work without
# it (xtl only adds xtl::xcomplex); without libxtl-dev that turns into a failing "-lxtl".
if(NOT TARGET xtl)
  find_package(xtl QUIET)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED)
  endif()
endif()
find_dependency(Threads)  # util/thread_pool.hpp: training on several cores
find_package(ZLIB QUIET)  # ctnn::io only: the IDX reader decompresses .gz files

# Without a build type nothing is optimised, and header-only kernels are compiled as the
# consumer's code: say so, rather than let inference run some 40x slower unexplained.
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  message(WARNING "ctnn: CMAKE_BUILD_TYPE is not set, so nothing is optimised and ctnn's kernels run "
                  "some 40x slower; configure with -DCMAKE_BUILD_TYPE=Release (or RelWithDebInfo). "
                  "Inference compiled by ctnn_add_dispatched_inference() is optimised regardless.")
endif()
