"""Start-up time of `watcloud --help` and of a cached `watcloud status`, as ratios to a bare
`python -c pass` measured in the same run (target: at most 3x); with `--pyz` also the same
two commands from the login-node zipapp (`make zipapp`), as ratios to the venv install.

The cached status is served from the rendered-output cache (`watcloud.cluster.fast`): the
benchmark first runs `watcloud status` once against a loopback HTTP server holding small
machine-info and healthchecks fixtures, then times repeated runs within the 30 s TTL.

    .venv/bin/python benchmarks/cli_startup.py [--runs 30] [--pyz build/watcloud.pyz]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.cluster.data import checks_payload, machine_info_payload  # noqa: E402


def serve() -> tuple[ThreadingHTTPServer, str]:
    bodies = {
        "/api/v3/checks/": json.dumps(checks_payload()).encode(),
        "/machine-info.json": json.dumps(machine_info_payload()).encode(),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path, b"{}")
            self.send_response(200 if self.path in bodies else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr.decode()[:300]}")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pyz", type=Path, help="a watcloud.pyz from `make zipapp` to compare")
    args = parser.parse_args()
    if args.pyz is not None and not args.pyz.is_file():
        print(f"{args.pyz}: not found (run `make zipapp`)", file=sys.stderr)
        sys.exit(2)
    exe = Path(sys.executable).parent / "watcloud"
    server, base = serve()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "cluster.yaml"
        cfg.write_text(
            f"machine_info_url: {base}/machine-info.json\nhealthchecks_url: {base}\n"
            "use_slurm: false\ncache_ttl: 600\n"
        )
        env = {
            **os.environ,
            "XDG_CACHE_HOME": f"{tmp}/cache",
            "XDG_CONFIG_HOME": f"{tmp}/config",
            "SHIV_ROOT": f"{tmp}/shiv",
            "WATCLOUD_HEALTHCHECKS_API_KEY": "bench",
        }
        status = [str(exe), "status", "--config", str(cfg)]
        start = time.perf_counter()
        subprocess.run(status, env=env, check=True, stdout=subprocess.DEVNULL)
        uncached = time.perf_counter() - start
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "watcloud --help": [str(exe), "--help"],
            "watcloud status (cached)": status,
        }
        if args.pyz is not None:
            # the base interpreter, isolated (-I) and without its site-packages (-S): what a
            # login node without the venv runs. -S also keeps out .pth files of this machine's
            # base Python (one imports certifi, ~40 ms) that a venv never reads either.
            py = [getattr(sys, "_base_executable", sys.executable), "-I", "-S", str(args.pyz)]
            cases["pyz --help"] = [*py, "--help"]
            cases["pyz status (cached)"] = [*py, *status[1:]]
            subprocess.run(cases["pyz --help"], env=env, check=True, stdout=subprocess.DEVNULL)
        for cmd in cases.values():  # warm the page cache
            timed(cmd, env, 2)
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleave so load changes hit every case alike
            for name, cmd in cases.items():
                results[name] += timed(cmd, env, 1)
    server.shutdown()
    base_ms = statistics.median(results["python -c pass"]) * 1000
    print(f"cli_startup: {args.runs} runs each, median wall time, {os.cpu_count()} cores")
    for name, samples in results.items():
        ms = statistics.median(samples) * 1000
        print(f"  {name:<26} {ms:7.1f} ms  {ms / base_ms:5.2f}x python -c pass")
    print(f"  {'watcloud status (uncached)':<26} {uncached * 1000:7.1f} ms  (one run, loopback)")
    if args.pyz is not None:
        med = {name: statistics.median(samples) for name, samples in results.items()}
        mb = args.pyz.stat().st_size / 1e6
        print(f"zipapp {args.pyz} ({mb:.1f} MB) against the venv install:")
        for pyz_case, venv_case in (
            ("pyz --help", "watcloud --help"),
            ("pyz status (cached)", "watcloud status (cached)"),
        ):
            print(f"  {pyz_case:<26} {med[pyz_case] / med[venv_case]:5.2f}x {venv_case}")


if __name__ == "__main__":
    main()
