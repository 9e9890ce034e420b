#!/usr/bin/env bash
# The README's first command: installs missing Debian packages, fetches MNIST into data/mnist,
# builds the mnist example in Release (build/mnist) and runs it with the study note's recipe
# (784-256-256-10 ReLU, N(0,1) weights, Adam lr 0.001, batch 100, 15 epochs).
# Extra arguments go to the program: tools/mnist.sh --init default, tools/mnist.sh --help.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/fetch-mnist.sh
echo "=== building the mnist example (Release, build/mnist) ===" >&2
# Build output goes to stderr: stdout carries only the report.
cmake -S . -B build/mnist -DCMAKE_BUILD_TYPE=Release -DCTNN_BUILD_TESTS=OFF -DCTNN_BUILD_EXAMPLES=ON >&2
cmake --build build/mnist --target mnist -j "$(nproc)" >&2
echo "=== build/mnist/examples/mnist/mnist $* ===" >&2
exec build/mnist/examples/mnist/mnist "$@"
