#!/usr/bin/env bash
# Installs the Debian 12 packages ctnn's build, tests and examples need, if any are missing.
# Usage: tools/install-deps.sh [--torch]   (--torch adds python3-torch, for the PyTorch tools)
set -euo pipefail
packages=(g++ clang cmake make time libxsimd-dev catch2 libbenchmark-dev libeigen3-dev zlib1g-dev)
[[ "${1:-}" == "--torch" ]] && packages+=(python3-torch)
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
