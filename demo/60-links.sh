#!/usr/bin/env bash
# watcloud links: the internal checker on a small bundled Next.js export (basePath /docs) with
# known broken links, then the external checker against a web server on loopback.
set -uo pipefail
cd "$(dirname "$0")"
SITE=../tests/links/site
TMP=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null; rm -rf "$TMP"' EXIT

echo "\$ watcloud links internal $SITE --base-path /docs"
watcloud links internal "$SITE" --base-path /docs
echo "(exit $? : broken links fail the build)"

echo
echo "\$ watcloud links internal ... --markdown -   (summary for a pull-request comment)"
watcloud links internal "$SITE" --base-path /docs --markdown - >"$TMP/out.txt"
sed -n '/^## Internal links/,$p' "$TMP/out.txt" | head -8

# External: serve the same site on loopback and check a few URLs (no internet needed).
: >"$TMP/server.log"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$SITE" >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
  PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TMP/server.log" | head -1)
  [[ -n $PORT ]] && break
  sleep 0.1
done
if [[ -z ${PORT:-} ]]; then echo "(could not start a loopback web server; skipping the external demo)"; exit 0; fi
BASE="http://127.0.0.1:$PORT"
cat >"$TMP/links.yaml" <<YAML
external:
  grace_days: 3
  attempts: 1
  private_prefixes: ["https://github.com/WATonomous/infra-config"]
YAML
echo
echo "\$ watcloud links external $BASE/about.html#team $BASE/gone.html ... --check-fragments"
watcloud links external "$BASE/about.html#team" "$BASE/about.html#no-such" "$BASE/gone.html" \
  "https://github.com/WATonomous/infra-config/blob/main/README.md" \
  --check-fragments --config "$TMP/links.yaml" --state "$TMP/state.sqlite3" --show-ok
echo "(exit $? : failures within the 3-day grace period are warnings; login-only links are unverified)"
exit 0
