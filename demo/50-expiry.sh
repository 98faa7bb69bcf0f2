#!/usr/bin/env bash
# expiry: build a small scratch tree with old and recent files (timestamps set with os.utime),
# scan it with a 30-day threshold, then show what `delete --dry-run` would remove.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/scratch"

python3 - "$root" <<'PY'
import os, sys, time
root = sys.argv[1]
now = time.time()
def make(rel, days_ago, size):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"\0" * size)
    t = now - days_ago * 86400
    os.utime(path, (t, t))
make("alice/thesis-2024/data.csv", 210, 120_000)
make("alice/thesis-2024/figures/plot.png", 190, 40_000)
make("bob/checkpoints/epoch-10.pt", 95, 900_000)
make("bob/checkpoints/epoch-90.pt", 2, 900_000)
make("carol/notes.md", 1, 2_000)
make("old-tarball.tar", 400, 300_000)
for rel, days in (("alice/thesis-2024/figures", 190), ("alice/thesis-2024", 190), ("alice", 190)):
    t = now - days * 86400
    os.utime(os.path.join(root, rel), (t, t))
PY

echo "# the tree: $(find "$root" -type f | wc -l) files; scanned with --time mtime, because"
echo "# os.utime cannot set ctime back (the default, --time newest, would see today's ctime)"
watcloud expiry scan "$root" --time mtime --threshold 30d --save "$tmp/report.json" \
  | sed "s|$root/||"
echo
echo "# watcloud expiry delete report.json --dry-run   (re-checks every entry; removes nothing)"
watcloud expiry delete "$tmp/report.json" --dry-run | sed "s|$root/||"
