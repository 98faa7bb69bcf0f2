#!/usr/bin/env bash
# `make demo` step for the cluster CLI: `watcloud status`, `watcloud quota list` and
# `watcloud daemon status` against data generated here, offline:
#   - machine-info.json and a healthchecks.io API v3 answer, served by a small HTTP server on
#     127.0.0.1 (a free port) that this script starts and stops;
#   - SLURM's `sinfo`/`scontrol` as stand-ins printing the real formats (a drained node, a
#     node in a maintenance reservation, one upcoming window);
#   - a cgroup v2 tree in a temporary directory for the CPU/memory quotas;
#   - a Docker Engine API stand-in on a unix socket (`/_ping`, `/version`).
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/watcloud-cluster-demo.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work" <<'PY'
import json, os, stat, sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

work = sys.argv[1]
tz = ZoneInfo("America/Toronto")
now = datetime.now(tz).replace(microsecond=0, tzinfo=None)
ago = lambda **kw: (datetime.now(ZoneInfo("UTC")) - timedelta(**kw)).isoformat(timespec="seconds")

def check(host, name, status="up", public=True, **late):
    return {"name": f"{host}-{name}", "slug": f"{host}-{name}", "status": status,
            "tags": f"host={host} check={name} public={public}",
            "last_ping": ago(**(late or {"seconds": 40})), "grace": 60}

checks = {"checks": [
    check("trpro-slurm1", "cluster-connection"), check("trpro-slurm1", "slurm-schedulable"),
    check("thor-slurm1", "cluster-connection"), check("thor-slurm1", "slurm-schedulable", "down", minutes=47),
    check("tr-slurm1", "cluster-connection"), check("tr-slurm1", "slurm-schedulable"),
    check("wato2-slurm1", "cluster-connection", "down", hours=3), check("wato2-slurm1", "slurm-schedulable", "down", hours=3),
    check("tr-ubuntu3", "cluster-connection"), check("tr-ubuntu3", "internal-disk", "grace"),
    check("derek3-ubuntu2", "cluster-connection"),
    check("wato-thor", "ceph-health"), check("wato-thor", "smart-health", "down", public=False),
]}
machine = lambda name, **kw: {"name": name, "tags": [], "cpu_info": {"logical_processors": "16"},
                              "memory_info": {"memory_total_kibibytes": "65536000"}, "hostnames": [f"{name}.cluster.watonomous.ca"], **kw}
info = {"machines": {
    "slurm_compute_nodes": [machine(n, gpus=[]) for n in ("trpro-slurm1", "thor-slurm1", "tr-slurm1", "wato2-slurm1", "delta-slurm1")],
    "slurm_login_nodes": [machine("tr-ubuntu3", cpu_quota=200, memory_quota=8 * 2**30),
                          machine("derek3-ubuntu2", cpu_quota=400, memory_quota=16 * 2**30)],
    "bare_metals": [machine("wato-thor")],
}, "global_user_disk_quotas": [{"name": "home", "fstype": "ceph", "default": {"bytes_hard_limit": 20 * 2**30, "inodes_hard_limit": 0}}]}
os.makedirs(f"{work}/www", exist_ok=True)
json.dump(checks, open(f"{work}/www/checks.json", "w"))
json.dump(info, open(f"{work}/www/machine-info.json", "w"))

# SLURM stand-ins (the real commands' formats)
t = lambda d: d.isoformat()
node = lambda n, state, reason=None: (f"NodeName={n} Arch=x86_64 CPUAlloc=0 CPUTot=16 RealMemory=64000 AllocMem=0 "
    f"State={state} Partitions=compute" + (f" Reason={reason}" if reason else ""))
nodes = "\n".join([node("trpro-slurm1", "MIXED"), node("thor-slurm1", "IDLE+DRAIN", "GPU fan replacement [root@2026-11-24T09:12:00]"),
                   node("tr-slurm1", "IDLE"), node("wato2-slurm1", "DOWN*", "Not responding [slurm@2026-11-24T08:00:01]"),
                   node("delta-slurm1", "IDLE")]) + "\n"
res = lambda name, s, e, nodes, flags: (f"ReservationName={name} StartTime={t(s)} EndTime={t(e)} Nodes={nodes} "
    f"NodeCnt=1 Flags={flags} State=ACTIVE Comment=Ceph OSD upgrade")
reservations = "\n".join([res("maint-delta", now - timedelta(hours=1), now + timedelta(hours=3), "delta-slurm1", "MAINT,IGNORE_JOBS,SPEC_NODES"),
                          res("maint-tr", now + timedelta(days=3), now + timedelta(days=3, hours=8), "tr-slurm1,trpro-slurm1", "MAINT,SPEC_NODES")]) + "\n"
os.makedirs(f"{work}/bin", exist_ok=True)
for name, body in {"nodes.txt": nodes, "reservations.txt": reservations}.items():
    open(f"{work}/{name}", "w").write(body)
scripts = {
    "scontrol": f'case "$*" in\n  "show node --oneliner") cat {work}/nodes.txt;;\n  "show reservation --oneliner") cat {work}/reservations.txt;;\n  *) exit 1;;\nesac\n',
    "sinfo": "".join(f"echo '{n}|compute*|{st}|none'\n" for n, st in
                     [("trpro-slurm1", "mixed"), ("thor-slurm1", "drained"), ("tr-slurm1", "idle"),
                      ("wato2-slurm1", "down*"), ("delta-slurm1", "maint")]),
}
for name, body in scripts.items():
    p = f"{work}/bin/{name}"
    open(p, "w").write("#!/bin/sh\n" + body)
    os.chmod(p, 0o755)

# a cgroup v2 tree: this "login session" may use 2 cores and 8 GiB, and uses 5.5 GiB
cg = f"{work}/sys/fs/cgroup/user.slice/user-1000.slice"
os.makedirs(f"{cg}/session-4.scope")
for f, v in {"cpu.max": "200000 100000", "memory.max": str(8 * 2**30), "memory.current": str(int(5.5 * 2**30)),
             "cpu.stat": "usage_usec 123456789\n"}.items():
    open(f"{cg}/{f}", "w").write(v + "\n")
os.makedirs(f"{work}/proc/self")
open(f"{work}/proc/self/cgroup", "w").write("0::/user.slice/user-1000.slice/session-4.scope\n")
PY

# the HTTP server: healthchecks.io API v3 (needs X-Api-Key) and machine-info.json
python3 - "$work" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
work = sys.argv[1]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        files = {"/api/v3/checks/": "checks.json", "/fixtures/machine-info.json": "machine-info.json"}
        if self.path not in files or (self.path.startswith("/api/") and self.headers.get("X-Api-Key") != "demo-read-key"):
            self.send_error(401 if self.path in files else 404); return
        body = open(f"{work}/www/{files[self.path]}", "rb").read()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(f"{work}/port.tmp", "w").write(str(srv.server_address[1]))
import os; os.rename(f"{work}/port.tmp", f"{work}/port")
srv.serve_forever()
PY
pids+=($!)

# a Docker Engine API stand-in on a unix socket
python3 - "$work" <<'PY' &
import json, socketserver, sys
from http.server import BaseHTTPRequestHandler
work = sys.argv[1]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"OK" if self.path == "/_ping" else json.dumps({"Version": "28.2.2", "ApiVersion": "1.50"}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def address_string(self): return "unix"
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer): daemon_threads = True
S(f"{work}/docker.sock", H).serve_forever()
PY
pids+=($!)

for _ in $(seq 100); do [[ -e $work/port && -S $work/docker.sock ]] && break; sleep 0.05; done
port=$(cat "$work/port")
cat >"$work/cluster.yaml" <<YAML
machine_info_url: http://127.0.0.1:$port/fixtures/machine-info.json
healthchecks_url: http://127.0.0.1:$port
sysfs_root: $work/sys
proc_root: $work/proc
home: $work
hostname: tr-ubuntu3
cpu_sample_seconds: 0
YAML
export XDG_CACHE_HOME=$work/cache XDG_CONFIG_HOME=$work/config
export WATCLOUD_HEALTHCHECKS_API_KEY=demo-read-key
export PATH="$work/bin:$PATH"

echo '$ watcloud status'
watcloud status --config "$work/cluster.yaml"
echo
echo '$ watcloud status --output json   (one machine of the list)'
watcloud status --config "$work/cluster.yaml" --output json \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([m for m in d["machines"] if m["name"] == "thor-slurm1"][0], indent=2))'
echo
start=$(date +%s%N)
watcloud status --config "$work/cluster.yaml" >/dev/null
echo "a repeated \`watcloud status\` within 30 s is replayed from the cache: $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo
echo '$ watcloud quota list   (cgroup tree in a temporary directory; no Ceph or quota(1) here)'
watcloud quota list --config "$work/cluster.yaml"
echo
echo '$ watcloud daemon status   (nothing running on this machine)'
watcloud daemon status --config "$work/cluster.yaml" || echo "(exit $?: not running)"
echo
echo '$ DOCKER_HOST=unix://.../docker.sock watcloud daemon status   (an Engine API stand-in)'
DOCKER_HOST="unix://$work/docker.sock" watcloud daemon status --config "$work/cluster.yaml"

echo
echo '$ watcloud slurm capacity   (free CPUs, memory and GPUs from the scontrol stand-in)'
watcloud slurm capacity --config "$work/cluster.yaml"
echo
echo '$ watcloud config get cache_ttl'
watcloud config get cache_ttl --config "$work/cluster.yaml"
