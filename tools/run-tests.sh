#!/usr/bin/env bash
# Builds and runs every test: the host's best instruction set, a generic x86-64 (SSE2) build,
# and an AddressSanitizer + UndefinedBehaviorSanitizer build. Installs missing Debian packages.
# Usage: tools/run-tests.sh [native|sse2|avx2|sanitize ...]   (default: all three of native, sse2, sanitize)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
jobs=$(nproc)
configs=("$@")
((${#configs[@]})) || configs=(native sse2 sanitize)

run() {  # run NAME CMAKE_ARGS...
  local name=$1; shift
  echo "=== ctnn tests: $name ==="
  cmake -S . -B "build/test-$name" -DCMAKE_BUILD_TYPE=Release -DCTNN_BUILD_TESTS=ON -DCTNN_BUILD_EXAMPLES=ON "$@" >/dev/null
  cmake --build "build/test-$name" -j "$jobs"
  ctest --test-dir "build/test-$name" -j "$jobs" --output-on-failure
}

for c in "${configs[@]}"; do
  case "$c" in
    native)   run native -DCTNN_ARCH=native ;;
    sse2)     run sse2 -DCTNN_ARCH=x86-64 ;;
    avx2)     run avx2 -DCTNN_ARCH=x86-64-v3 ;;
    sanitize) run sanitize -DCTNN_ARCH=native -DCTNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
    *) echo "unknown configuration: $c (native, sse2, avx2, sanitize)" >&2; exit 2 ;;
  esac
done
echo "=== all ctnn test configurations passed: ${configs[*]} ==="
