#!/usr/bin/env bash
# Checks that include/ctnn/ stays a stack of folders: a header includes headers of its own folder
# and of folders below it, never of a folder beside or above it, and only kernels/ includes
# xsimd. Run by ctest; prints every include that breaks the rule.
# Usage: tools/check-layering.sh [include/ctnn]
set -euo pipefail
root=$(realpath "${1:-$(dirname "$0")/../include/ctnn}")
# The stack, bottom first; folders of one level know nothing of each other.
declare -A level=([util]=0 [core]=1 [kernels]=1 [layers]=2 [model]=3 [loss]=4 [optim]=4 [init]=4 [train]=5 [io]=6)
bad=0
while IFS= read -r header; do
  rel=${header#"$root"/}
  folder=${rel%%/*}
  [[ "$rel" == */* ]] || continue  # the umbrella header ctnn.hpp may include everything
  if [[ -z "${level[$folder]+x}" ]]; then
    echo "$rel: folder '$folder' has no place in the stack (add it to tools/check-layering.sh)"; bad=1; continue
  fi
  while IFS= read -r line; do
    if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<xsimd/ && "$folder" != kernels ]]; then
      echo "$rel: includes xsimd; only kernels/ may"; bad=1
    fi
    [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
    target=$(realpath -m "$(dirname "$header")/${BASH_REMATCH[1]}")
    [[ "$target" == "$root"/*/* ]] || { echo "$rel: includes ${BASH_REMATCH[1]}, outside the library's folders"; bad=1; continue; }
    to=${target#"$root"/}; to=${to%%/*}
    [[ "$to" == "$folder" ]] && continue
    if [[ -z "${level[$to]+x}" ]] || (( level[$to] >= level[$folder] )); then
      echo "$rel: includes ${BASH_REMATCH[1]}: $folder/ may include only folders below it, not $to/"; bad=1
    fi
  done < "$header"
done < <(find "$root" -name '*.hpp' | sort)
if ((bad)); then echo "layering: FAILED"; exit 1; fi
echo "layering: every include goes down the stack ($(find "$root" -name '*.hpp' | wc -l) headers)"
