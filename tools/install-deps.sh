#!/usr/bin/env bash
# Installs the Debian 12 packages ctnn's build, tests and examples need, if any are missing.
# Usage: tools/install-deps.sh [--torch] [--bench]
#   --torch adds python3-torch and libopenblas0-pthread (the PyTorch tools and baselines)
#   --bench adds libdnnl-dev (oneDNN, the second baseline of the CNN benchmarks) and Fashion-MNIST
set -euo pipefail
packages=(g++ clang cmake make time libxsimd-dev catch2 libbenchmark-dev libeigen3-dev zlib1g-dev)
for arg in "$@"; do
  case "$arg" in
    --torch) packages+=(python3-torch libopenblas0-pthread) ;;
    --bench) packages+=(libdnnl-dev dataset-fashion-mnist) ;;
    *) echo "install-deps.sh: unknown option $arg (--torch, --bench)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ctnn: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
