#!/usr/bin/env bash
# The README's first command: installs missing Debian packages, fetches MNIST into data/mnist,
# builds the mnist example in Release (build/mnist) and runs it with the study note's recipe
# (784-256-256-10 ReLU, N(0,1) weights, Adam lr 0.001, batch 100, 15 epochs).
# Extra arguments go to the program: tools/mnist.sh --init default, tools/mnist.sh --help.
# tools/mnist.sh --cnn [FLAGS] runs the MNIST CNN example (LeNet-5) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
example=mnist
if [[ "${1:-}" == "--cnn" ]]; then
  example=mnist_cnn
  shift
fi
tools/install-deps.sh
tools/fetch-mnist.sh
echo "=== building the $example example (Release, build/mnist) ===" >&2
# Build output goes to stderr: stdout carries only the report.
cmake -S . -B build/mnist -DCMAKE_BUILD_TYPE=Release -DCTNN_BUILD_TESTS=OFF -DCTNN_BUILD_EXAMPLES=ON >&2
cmake --build build/mnist --target "$example" -j "$(nproc)" >&2
echo "=== build/mnist/examples/$example/$example $* ===" >&2
exec "build/mnist/examples/$example/$example" "$@"
