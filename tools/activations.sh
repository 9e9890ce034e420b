#!/usr/bin/env bash
# The activations example in one command: installs missing Debian packages, fetches MNIST into
# data/mnist, builds examples/activations in Release (build/mnist) and runs it: networks of 2, 5
# and 10 hidden layers with Sigmoid, Tanh, ReLU and LeakyReLU, N(0,1) and PyTorch's default
# initialisation, a table on stdout and SVG charts in activations-charts/ (about 3 minutes on 2
# cores). Extra arguments go to the program: tools/activations.sh --hidden 2 --epochs 1, --help.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/fetch-mnist.sh
echo "=== building the activations example (Release, build/mnist) ===" >&2
cmake -S . -B build/mnist -DCMAKE_BUILD_TYPE=Release -DCTNN_BUILD_TESTS=OFF -DCTNN_BUILD_EXAMPLES=ON >&2
cmake --build build/mnist --target activations -j "$(nproc)" >&2
echo "=== build/mnist/examples/activations/activations $* ===" >&2
exec build/mnist/examples/activations/activations "$@"
