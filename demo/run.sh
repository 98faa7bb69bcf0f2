#!/usr/bin/env bash
# `make demo`: runs each tool's demo step (demo/NN-tool.sh) in order, on bundled data.
set -euo pipefail
cd "$(dirname "$0")"
for step in [0-9][0-9]-*.sh; do
  [[ -e $step ]] || continue
  printf '\n\033[1m== %s ==\033[0m\n' "${step%.sh}"
  bash "$step"
done
