#!/usr/bin/env bash
# gha: trace a bundled workflow run (served by the project's GitHub API stand-in on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python - "$out" <<'PY'
import subprocess, sys
from tests.gha.fixtures import REPO, RUN_ID, default_api, serve

with serve(default_api()) as base:
    env = {"GITHUB_API_URL": base, "GITHUB_TOKEN": "demo", "PATH": __import__("os").environ["PATH"]}
    trace = f"{sys.argv[1]}/run.pftrace"
    subprocess.run(["watcloud", "gha", "trace", REPO, str(RUN_ID), "--out", trace], env=env, check=True)
PY
