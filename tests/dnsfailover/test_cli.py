"""`watcloud dns-failover` end to end: the installed command, real servers on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import watcloud_exe
from tests.dnsfailover.conftest import WebServer, free_port

pytestmark = pytest.mark.integration
NAME = "svc.example.com"


def write_config(tmp: Path, base: str, hosts: list[WebServer], **top: Any) -> Path:
    cfg = {
        "provider": {
            "kind": "cloudflare",
            "zone": "example.com",
            "token_env": "CF_T",
            "base_url": base,
            "attempts": 2,
            "backoff": 0.1,
        },
        "services": [
            {
                "fqdn": NAME,
                "hosts": [h.host for h in hosts],
                "check": {"port": hosts[0].port, "path": "/", "timeout": 0.5, "interval": 0.5},
                "down_after": 2,
                "up_after": 2,
            }
        ],
        "lock": {"path": str(tmp / "lock")},
        **top,
    }
    path = tmp / "dnsfailover.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("provider: [", "invalid YAML"),
        ("services: []\n", "key 'provider': required key is missing"),
        (
            "provider: {kind: cloudflare, zone: example.com}\nservices:\n"
            "  - {fqdn: a.example.com, hosts: [10.0.0.1], bogus: 1}\n",
            "key 'services.0.bogus'",
        ),
        (
            "provider: {kind: cloudflare, zone: example.com}\nservices:\n"
            "  - {fqdn: a.example.com, hosts: [not-an-ip]}\n",
            "not an IP address",
        ),
        (
            "provider: {kind: cloudflare, zone: example.com}\nservices:\n"
            "  - {fqdn: a.example.com, type: AAAA, hosts: [10.0.0.1]}\n",
            "not an IPv6 address",
        ),
        (
            "provider: {kind: cloudflare, zone: example.com}\nservices:\n"
            "  - {fqdn: a.other.org, hosts: [10.0.0.1]}\n",
            "not inside zone example.com",
        ),
        (
            "provider: {kind: cloudflare, zone: example.com}\nservices:\n"
            "  - {fqdn: a.example.com, hosts: [10.0.0.1], check: {expected_status: [abc]}}\n",
            "expected 200, '200-299' or '2xx'",
        ),
        (
            "provider: {kind: cloudflare, zone: example.com}\nservices:\n"
            "  - {fqdn: a.example.com, hosts: [10.0.0.1], check: {type: tcp}}\n",
            "a tcp check needs a port",
        ),
        (
            "provider: {kind: rfc2136, server: ns1.example.com, zone: example.com}\nservices:\n"
            "  - {fqdn: a.example.com, hosts: [10.0.0.1]}\n",
            "server must be an IP address",
        ),
    ],
)
def test_bad_config_is_one_line_exit_2(
    run_watcloud: Any, tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    for cmd in ("check", "plan"):
        res = run_watcloud("dns-failover", cmd, "--config", str(path))
        assert res.returncode == 2, res.stderr
        assert expected in res.stderr and res.stderr.count("\n") == 1
        assert "Traceback" not in res.stderr


def test_missing_config_file(run_watcloud: Any, tmp_path: Path) -> None:
    res = run_watcloud("dns-failover", "check", "--config", str(tmp_path / "nope.yaml"))
    assert res.returncode == 2 and "config file not found" in res.stderr
    res = run_watcloud("dns-failover", "plan")  # no --config and no default file
    assert res.returncode == 2 and "no config: give --config FILE" in res.stderr


def test_missing_token_is_a_config_error(
    run_watcloud: Any, tmp_path: Path, hosts: list[WebServer]
) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:9", hosts)
    env = {k: v for k, v in os.environ.items() if k != "CF_T"}
    res = subprocess.run(
        [watcloud_exe(), "dns-failover", "plan", "-c", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert res.returncode == 2 and "secret missing: set CF_T" in res.stderr


def test_check_table_and_json(run_watcloud: Any, tmp_path: Path, hosts: list[WebServer]) -> None:
    path = write_config(tmp_path, "http://127.0.0.1:9", hosts)
    res = run_watcloud("dns-failover", "check", "-c", str(path))
    assert res.returncode == 0, res.stderr
    assert "3 of 3 probes ok" in res.stdout and hosts[0].host in res.stdout
    hosts[1].set(status=503)
    res = run_watcloud("dns-failover", "check", "-c", str(path), "--output", "json")
    assert res.returncode == 1
    data = json.loads(res.stdout)
    assert data["failed"] == 1
    bad = [r for r in data["results"] if not r["ok"]]
    assert [(r["host"], r["status"]) for r in bad] == [(hosts[1].host, 503)]


def test_plan_shows_changes_and_changes_nothing(
    run_watcloud: Any,
    tmp_path: Path,
    cf: tuple,
    hosts: list[WebServer],  # type: ignore[type-arg]
) -> None:
    state, base = cf
    zid = next(iter(state.zones))
    mark = "watcloud-dnsfailover owner=default"
    for h in hosts:
        state.add_record(zid, NAME, "A", h.host, 300, mark)
    hosts[2].set(status=500)
    path = write_config(tmp_path, base, hosts)
    res = run_watcloud("dns-failover", "plan", "-c", str(path), "-o", "json", env={"CF_T": "t0ken"})
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    got = {(c["action"], c["content"], c["ttl"]) for c in data["changes"]}
    assert got == {
        ("delete", hosts[2].host, 300),
        ("update", hosts[0].host, 60),
        ("update", hosts[1].host, 60),
    }
    assert len(state.records) == 3 and {r["ttl"] for r in state.records.values()} == {300}
    assert not [m for m, _ in state.log if m != "GET"]
    res = run_watcloud("dns-failover", "plan", "-c", str(path), env={"CF_T": "t0ken"})
    assert "3 change(s) would be made" in res.stdout and f"- remove {NAME} 300 A" in res.stdout


def test_plan_provider_down_exits_1(
    run_watcloud: Any, tmp_path: Path, hosts: list[WebServer]
) -> None:
    path = write_config(tmp_path, f"http://127.0.0.1:{free_port()}/client/v4", hosts)
    res = run_watcloud("dns-failover", "plan", "-c", str(path), env={"CF_T": "t0ken"})
    assert res.returncode == 1 and "provider error" in res.stdout


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_run_publishes_then_stops_on_sigterm(
    tmp_path: Path,
    cf: tuple,  # type: ignore[type-arg]
    hosts: list[WebServer],
) -> None:
    state, base = cf
    port = free_port()
    path = write_config(tmp_path, base, hosts, listen=f"127.0.0.1:{port}")
    hosts[1].set(status=503)
    env = {**os.environ, "CF_T": "t0ken"}
    proc = subprocess.Popen(
        [watcloud_exe(), "dns-failover", "run", "-c", str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while state.contents(NAME) != [hosts[0].host, hosts[2].host]:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and body.strip() == "ok"
        status, body = _get(f"http://127.0.0.1:{port}/metrics")
        assert 'dnsfailover_records_published{service="svc.example.com/A"} 2' in body
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "received SIGTERM" in err and "stopped" in err
    assert f"DNS change: + add {NAME} 60 A {hosts[0].host}" in err
    # Stopping the daemon does not touch DNS.
    assert state.contents(NAME) == [hosts[0].host, hosts[2].host]
