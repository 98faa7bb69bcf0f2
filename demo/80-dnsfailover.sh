#!/usr/bin/env bash
# dns-failover demo: three tiny web servers on loopback (one answers 503), a local stand-in for
# Cloudflare's API (tests/dnsfailover/cf_standin.py), then `check`, `plan` and a few seconds
# of `run`. No root, no network, no Debian packages.
set -euo pipefail
cd "$(dirname "$0")"
REPO=$(cd .. && pwd)
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

NET="127.0.80"
# Three web servers on 127.0.80.1-3, same port; .2 answers 503 (its ingress is broken).
cat >"$TMP/web.py" <<'EOF'
import http.server, socket, sys, threading
net = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 503 if self.server.server_address[0].endswith(".2") else 200
        body = f"{'ok' if code == 200 else 'unavailable'} host={self.headers['Host']}\n".encode()
        self.send_response(code); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
first = http.server.ThreadingHTTPServer((f"{net}.1", 0), H)
port = first.server_address[1]
servers = [first] + [http.server.ThreadingHTTPServer((f"{net}.{i}", port), H) for i in (2, 3)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print(port, flush=True)
threading.Event().wait()
EOF
python "$TMP/web.py" "$NET" >"$TMP/web.port" & PIDS+=($!)

# The Cloudflare stand-in, holding what an earlier run published (all three hosts, marked as
# ours by their comment) and one record added by hand, which the tool must leave alone.
cat >"$TMP/records.json" <<EOF
[
 {"name": "ingress.example.com", "content": "$NET.1", "ttl": 60, "comment": "watcloud-dnsfailover owner=default"},
 {"name": "ingress.example.com", "content": "$NET.2", "ttl": 60, "comment": "watcloud-dnsfailover owner=default"},
 {"name": "ingress.example.com", "content": "$NET.3", "ttl": 60, "comment": "watcloud-dnsfailover owner=default"},
 {"name": "ingress.example.com", "content": "192.0.2.50", "ttl": 300, "comment": "added by hand"}
]
EOF
python "$REPO/tests/dnsfailover/cf_standin.py" --zone example.com --token demo-token \
  --records "$TMP/records.json" >"$TMP/cf.port" & PIDS+=($!)

for f in web.port cf.port; do
  for _ in $(seq 100); do [[ -s $TMP/$f ]] && break; sleep 0.1; done
done
WEB_PORT=$(cat "$TMP/web.port")
CF_PORT=$(sed 's/port=//' "$TMP/cf.port")
METRICS_PORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$TMP/dnsfailover.yaml" <<EOF
provider:
  kind: cloudflare
  zone: example.com
  token_env: DEMO_CF_TOKEN
  base_url: http://127.0.0.1:$CF_PORT/client/v4   # the stand-in; omit for api.cloudflare.com
services:
  - fqdn: ingress.example.com
    ttl: 60
    hosts: [$NET.1, $NET.2, $NET.3]
    check: {type: http, port: $WEB_PORT, path: /healthz, timeout: 0.4, interval: 0.5,
            expected_status: ["200-299"], body_match: "^ok host=ingress\\\\.example\\\\.com"}
    down_after: 2
    up_after: 2
    min_records: 1
listen: 127.0.0.1:$METRICS_PORT
lock: {path: $TMP/dnsfailover.lock}
EOF
export DEMO_CF_TOKEN=demo-token

echo "\$ watcloud dns-failover check -c dnsfailover.yaml     # one probe round, all hosts at once"
watcloud dns-failover check -c "$TMP/dnsfailover.yaml" || echo "(exit $?: a probe failed)"
echo
echo "\$ watcloud dns-failover plan -c dnsfailover.yaml      # what would change now (changes nothing)"
watcloud dns-failover plan -c "$TMP/dnsfailover.yaml"
echo
echo "\$ watcloud dns-failover run -c dnsfailover.yaml       # the daemon, stopped with SIGTERM after 3 s"
watcloud dns-failover run -c "$TMP/dnsfailover.yaml" 2>"$TMP/run.log" &
RUN=$!
sleep 3
python - "$METRICS_PORT" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
print("  /metrics (excerpt):")
for line in text.splitlines():
    if line.startswith(("dnsfailover_records_published", "dnsfailover_host_healthy", "dnsfailover_provider_up")):
        print("   ", line)
EOF
kill -TERM "$RUN"
wait "$RUN" || echo "(run exited with $?)"
echo "  log:"
sed -E 's/^[0-9-]+ [0-9:,]+ /    /' "$TMP/run.log"
echo
echo "\$ watcloud dns-failover plan -c dnsfailover.yaml      # after the run: DNS matches health"
watcloud dns-failover plan -c "$TMP/dnsfailover.yaml"
