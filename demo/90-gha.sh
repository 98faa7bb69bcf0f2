#!/usr/bin/env bash
# gha: trace a bundled workflow run. The run's API answers are saved in tests/gha/saved-run
# (recorded with `--save-dir` from the project's GitHub API stand-in); `--from-dir` rebuilds
# the trace from them offline, the same path the tests take.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
watcloud gha trace watonomous/infra-config 9100200300 --from-dir tests/gha/saved-run \
  --out "$out/run.pftrace"
watcloud gha trace watonomous/infra-config 9100200300 --from-dir tests/gha/saved-run \
  --format json --out "$out/run.json" --output json | python3 -c \
  'import json, sys; d = json.load(sys.stdin); print("critical path:", " -> ".join(t["name"] for t in d["critical_path"]))'
