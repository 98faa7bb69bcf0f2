"""Fixtures for the cluster tools: a real loopback HTTP server standing in for healthchecks.io
and the website, fake SLURM/quota/nvidia-smi/systemctl executables on PATH, config files."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.data import checks_payload, machine_info_payload

API_KEY = "test-read-key"


@dataclass
class Route:
    body: bytes
    status: int = 200
    delay: float = 0.0  # seconds before answering (a hanging server)


@dataclass
class FakeSite:
    """healthchecks.io API v3 + machine-info.json on 127.0.0.1, port chosen by the kernel."""

    base: str
    routes: dict[str, Route]
    hits: list[tuple[str, str | None]] = field(default_factory=list)

    def set_json(self, path: str, payload: Any, status: int = 200, delay: float = 0.0) -> None:
        self.routes[path] = Route(json.dumps(payload).encode(), status, delay)

    def set_raw(self, path: str, body: bytes, status: int = 200, delay: float = 0.0) -> None:
        self.routes[path] = Route(body, status, delay)

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.hits if p == path)


CHECKS = "/api/v3/checks/"
MACHINES = "/fixtures/machine-info.json"


@pytest.fixture
def site() -> Iterator[FakeSite]:
    routes: dict[str, Route] = {}
    fake = FakeSite("", routes)
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.hits.append((self.path, self.headers.get("X-Api-Key")))
            route = routes.get(self.path)
            if self.path == CHECKS and self.headers.get("X-Api-Key") != API_KEY:
                route = Route(b'{"error": "missing, invalid or read-only API key"}', 401)
            if route is None:
                route = Route(b"not found", 404)
            if route.delay:
                stop.wait(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    fake.set_json(CHECKS, checks_payload())
    fake.set_json(MACHINES, machine_info_payload())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real /etc/watcloud/cluster.yaml never leaks into a test; tests write their own."""
    monkeypatch.setenv("WATCLOUD_CLUSTER_SITE_CONFIG", str(tmp_path / "etc-cluster.yaml"))


def write_exe(directory: Path, name: str, script: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory put first on PATH; tests drop fake executables into it.

    PATH keeps only the directories holding `sh`/`cat` essentials (no real SLURM/quota/
    systemctl can leak in)."""
    d = tmp_path / "bin"
    d.mkdir()
    for tool in ("sh", "cat", "sleep", "printf"):
        for base in ("/usr/bin", "/bin"):
            if os.path.exists(f"{base}/{tool}"):
                (d / tool).symlink_to(f"{base}/{tool}")
                break
    monkeypatch.setenv("PATH", f"{d}")
    return d


def serve_text(directory: Path, name: str, outputs: dict[str, str], *, code: int = 0) -> Path:
    """A fake `name` that prints outputs[<its arguments joined by spaces>] (files beside it)."""
    data = directory / f".{name}.data"
    data.mkdir(exist_ok=True)
    lines = ['case "$*" in']
    for i, (args, text) in enumerate(outputs.items()):
        (data / str(i)).write_text(text)
        lines.append(f'  "{args}") cat "{data / str(i)}"; exit {code};;')
    lines.append(f'  *) echo "{name}: unexpected arguments: $*" >&2; exit 64;;')
    lines.append("esac")
    return write_exe(directory, name, "\n".join(lines) + "\n")


def write_config(tmp_path: Path, site: FakeSite | None, **extra: Any) -> Path:
    import yaml

    cfg: dict[str, Any] = {}
    if site is not None:
        cfg["machine_info_url"] = site.base + MACHINES
        cfg["healthchecks_url"] = site.base
    cfg.update({k: str(v) if isinstance(v, Path) else v for k, v in extra.items()})
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def wait_until(pred: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.01)
