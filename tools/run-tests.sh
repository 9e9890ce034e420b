#!/usr/bin/env bash
# Builds and runs every test: g++ for the host's best instruction set, g++ for generic x86-64
# (SSE2), clang 14, g++ with AddressSanitizer + UndefinedBehaviorSanitizer, and g++ with
# ThreadSanitizer (the multi-threaded test programs). Installs missing Debian packages first.
# Usage: tools/run-tests.sh [native|sse2|avx2|clang|sanitize|tsan ...]   (default: all but avx2)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
# CTest splits test names at semicolons: a Catch2 test named with one runs as two tests that fail.
if grep -nE 'TEST_CASE\("[^"]*;' tests/*.cpp; then
  echo "tools/run-tests.sh: the test names above contain ';', which CTest splits them at" >&2
  exit 1
fi
jobs=$(nproc)
configs=("$@")
((${#configs[@]})) || configs=(native sanitize sse2 clang tsan)  # the two longest first

run() {  # run NAME CMAKE_ARGS...   (TARGETS and TESTS, if set, limit what is built and run)
  local name=$1; shift
  echo "=== ctnn tests: $name ==="
  cmake -S . -B "build/test-$name" -DCMAKE_BUILD_TYPE=Release -DCTNN_BUILD_TESTS=ON -DCTNN_BUILD_EXAMPLES=ON "$@" >/dev/null
  # shellcheck disable=SC2086  # TARGETS is a list
  cmake --build "build/test-$name" -j "$jobs" ${TARGETS:+--target $TARGETS}
  ctest --test-dir "build/test-$name" -j "$jobs" --output-on-failure ${TESTS:+-R "$TESTS"}
}

# ThreadSanitizer looks at the programs that run threads: the thread pool, data-parallel
# training, the Trainer, diagnostics with threads, a const model shared by threads. (The others
# are single-threaded; the sanitize configuration covers their memory and undefined behaviour.)
tsan_programs="test_threads test_parallel test_realtime test_train test_diagnostics"

# Plain x86-64 (SSE2) runs the programs whose code differs by instruction set: every kernel
# against its scalar reference, and the layers, models and training built on the kernels. (The
# file formats, the thread pool, the examples, compile errors and CMake consumers do not depend
# on it and run in native and clang; finite differences in native.)
sse2_programs="test_kernels test_conv_kernels test_bf16_kernels test_int8_kernels test_seq test_layers test_losses
  test_optim test_train test_train_mode test_conv test_stream test_residual test_diagnostics test_bf16 test_int8
  test_realtime"
sse2_programs=$(echo $sse2_programs)  # one line

# The tests build at -O2: a quarter less compile time than CMake's Release (-O3), which the MNIST
# example (tools/mnist.sh) and the benchmarks build at.
o2="-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"

configure_and_run() {  # configure_and_run CONFIG
  local c=$1
  case "$c" in
    # The kernel tests for AVX2 and AVX-512 (SSE2's run in the sse2 configuration, built as it ships).
    native)   run native -DCTNN_ARCH=native "$o2" -DCTNN_TEST_SKIP_SSE2_KERNELS=ON ;;
    # The library on plain x86-64: the programs listed above, the SSE2 kernels held to the scalar
    # ones among them (the comparisons with PyTorch's and RTNeural's numbers run in native).
    sse2)     TARGETS="$sse2_programs" TESTS="^(${sse2_programs// /|}):" \
              run sse2 -DCTNN_ARCH=x86-64 "$o2" -DCTNN_BUILD_EXAMPLES=OFF -DCTNN_TEST_SEPARATE_BUILDS=OFF \
                  -DCTNN_TEST_TORCH_REFERENCE=OFF ;;
    avx2)     run avx2 -DCTNN_ARCH=x86-64-v3 ;;
    # clang 14 on the library, its tests and the compile-error messages; the examples, half of a
    # build's time, compile in the native configuration, and so do the comparisons with
    # PyTorch's and RTNeural's numbers, the finite differences and the CMake consumers, which g++
    # checks; the kernel tests for the best instruction set (g++ holds the others to the scalar
    # kernels).
    clang)    run clang -DCTNN_ARCH=native "$o2" -DCMAKE_CXX_COMPILER=clang++-14 -DCTNN_BUILD_EXAMPLES=OFF \
                  -DCTNN_TEST_TORCH_REFERENCE=OFF -DCTNN_TEST_GRADCHECK=OFF -DCTNN_TEST_CMAKE_CONSUMERS=OFF \
                  -DCTNN_TEST_BEST_ARCH_ONLY=ON ;;
    # -Og: the sanitizers compile two and a half times faster than at -O1 (and the tests run as
    # fast: they are short). The library's tests only (the examples, half of this build's time,
    # run in native), not the kernel tests (the kernels run under the sanitizers through every
    # layer and model test), not the comparisons with numbers (PyTorch's, RTNeural's, finite differences: the same layers
    # train and run under the sanitizers in test_conv, test_train_mode, test_residual,
    # test_stream), and not test_parallel and test_realtime (ThreadSanitizer runs them).
    sanitize) run sanitize -DCTNN_ARCH=native -DCTNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-Og \
                  -DCTNN_BUILD_EXAMPLES=OFF -DCTNN_TEST_SEPARATE_BUILDS=OFF -DCTNN_TEST_KERNELS=OFF \
                  -DCTNN_TEST_TORCH_REFERENCE=OFF -DCTNN_TEST_GRADCHECK=OFF -DCTNN_TEST_PARALLEL_AND_REALTIME=OFF ;;
    # Any data race fails the test that ran into it (ThreadSanitizer exits non-zero).
    tsan)     TARGETS="$tsan_programs" TESTS="^(${tsan_programs// /|}):" \
              run tsan -DCTNN_ARCH=native -DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-Og -fsanitize=thread" \
                  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread ;;
    *) echo "unknown configuration: $c (native, sse2, avx2, clang, sanitize, tsan)" >&2; return 2 ;;
  esac
}

# Two configurations at a time, each building with all cores: one's serial parts (configuring,
# linking, its last long translation unit, the slowest tests) overlap the other's work. Each
# prints its log when it ends; the first failure is reported after the running ones end.
mkdir -p build
declare -A running=()
failed=""
finish_one() {
  local pid
  wait -n -p pid "${!running[@]}" && status=0 || status=$?
  local c=${running[$pid]}
  unset "running[$pid]"
  cat "build/test-$c.log"
  if ((status != 0)); then failed+=" $c"; echo "=== ctnn tests: $c FAILED ==="; fi
}
for c in "${configs[@]}"; do
  ((${#running[@]} < 2)) || finish_one
  configure_and_run "$c" > "build/test-$c.log" 2>&1 &
  running[$!]=$c
done
while ((${#running[@]})); do finish_one; done
if [[ -n "$failed" ]]; then echo "=== ctnn test configurations failed:$failed ===" >&2; exit 1; fi
echo "=== all ctnn test configurations passed: ${configs[*]} ==="
