"""docs/dnsfailover.md "Library": the examples run as printed against a real Knot server and a
web server on loopback, and every function the package exports is documented and called."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.dnsfailover.conftest import Knot, WebServer, start_web
from tests.docs_pages import assert_exports_documented_and_called, python_blocks, section


def examples(knot: Knot, web: WebServer) -> list[str]:
    blocks = python_blocks(section("dnsfailover"))
    return [
        b.replace("port: 5353", f"port: {knot.port}").replace("8080", str(web.port)) for b in blocks
    ]


def test_every_export_is_documented_and_called() -> None:
    assert_exports_documented_and_called("dnsfailover")


def test_the_examples_run(
    knot: Knot, web: list[WebServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_web("127.0.0.1")
    web.append(server)
    monkeypatch.setenv("WATCLOUD_DNS_TSIG_SECRET", knot.secret)
    monkeypatch.chdir(tmp_path)
    check_and_plan, daemon = examples(knot, server)
    namespace: dict[str, Any] = {}
    exec(compile(check_and_plan, "docs/dnsfailover.md Library example 1", "exec"), namespace)
    assert knot.answers("svc.test.watcloud") == set()  # plan wrote nothing

    proc = subprocess.Popen(
        [sys.executable, "-c", "from pathlib import Path\n" + daemon],
        env={**os.environ, "WATCLOUD_DNS_TSIG_SECRET": knot.secret},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while knot.answers("svc.test.watcloud") != {"127.0.0.1"}:
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the daemon did not publish the healthy host"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
