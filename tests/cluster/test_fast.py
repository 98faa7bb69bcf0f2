"""The rendered-output cache behind a fast `watcloud status` (`watcloud.cluster.fast`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from watcloud.cluster import fast

CHECK_IMPORTS = r"""
import sys, json
before = set(sys.modules)
from watcloud.cluster import fast
rc = fast.cached_status(["--output", "json"])
new = sorted(set(sys.modules) - before)
sys.stderr.write(json.dumps({"rc": rc, "new": new}))
"""
SEED = r"""
from watcloud.cluster import fast
assert fast.cached_status(["--output", "json"]) is None
assert fast.store("hello\n", "", 0, 30)
"""


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def _assert_stdlib_only(new: list[str]) -> None:
    stdlib = set(sys.stdlib_module_names)
    foreign = [m for m in new if m.split(".")[0] not in stdlib and not m.startswith("watcloud")]
    assert foreign == []
    assert {m for m in new if m.startswith("watcloud")} <= {
        "watcloud",
        "watcloud.cluster",
        "watcloud.cluster.fast",
    }
    # what the fast path exists to avoid (hashlib loads OpenSSL; the C blake2 module suffices)
    heavy = {"typer", "click", "rich", "pydantic", "httpx", "yaml", "hashlib", "_hashlib", "json"}
    assert not heavy & {m.split(".")[0] for m in new}


def test_fast_path_imports_only_the_standard_library(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    miss = _run(CHECK_IMPORTS, env)
    report = json.loads(miss.stderr)
    assert report["rc"] is None and miss.stdout == ""
    _assert_stdlib_only(report["new"])
    _run(SEED, env)
    hit = _run(CHECK_IMPORTS, env)
    report = json.loads(hit.stderr)
    assert report["rc"] == 0 and hit.stdout == "hello\n"
    _assert_stdlib_only(report["new"])


def test_miss_then_store_then_hit(capsys: Any) -> None:
    assert fast.cached_status(["-o", "json"]) is None
    assert fast.pending_record is not None
    assert fast.store('{"x": 1}\n', "warning: w\n", 0, 30)
    capsys.readouterr()
    assert fast.cached_status(["-o", "json"]) == 0
    out = capsys.readouterr()
    assert out.out == '{"x": 1}\n' and out.err == "warning: w\n"


def test_record_expires_after_its_ttl() -> None:
    fast.cached_status([])
    fast.store("a\n", "", 0, 30)
    assert fast.cached_status([], clock=time.time() + 29) == 0
    assert fast.cached_status([], clock=time.time() + 31) is None
    assert fast.cached_status([], clock=time.time() - 5) is None  # clock went backwards


def test_refresh_and_help_always_bypass() -> None:
    for argv in (["--refresh"], ["--help"], ["-o", "json", "--refresh"]):
        fast.cached_status(argv)
        fast.store("a\n", "", 0, 30)
        assert fast.cached_status(argv) is None
        assert fast.pending_record is None  # nothing is stored for them either


def test_key_covers_argv_env_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("cache_ttl: 30\n")
    argv = ["--config", str(cfg)]
    fast.cached_status(argv)
    fast.store("a\n", "", 0, 30)
    assert fast.cached_status(argv) == 0
    assert fast.cached_status([*argv, "--all"]) is None
    assert fast.cached_status([f"--config={cfg}"]) is None  # exact argv, not its meaning
    monkeypatch.setenv("WATCLOUD_HEALTHCHECKS_API_KEY", "other")
    assert fast.cached_status(argv) is None
    monkeypatch.delenv("WATCLOUD_HEALTHCHECKS_API_KEY")
    monkeypatch.setenv("NO_COLOR", "1")
    assert fast.cached_status(argv) is None
    monkeypatch.delenv("NO_COLOR")
    assert fast.cached_status(argv) == 0
    cfg.write_text("cache_ttl: 29\n")  # edited config: new size and mtime
    os.utime(cfg, ns=(1, 1))
    assert fast.cached_status(argv) is None


def test_config_file_from_argv_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert fast.config_file(["-c", "x.yaml"]) == str(tmp_path / "x.yaml")
    assert fast.config_file(["-cx.yaml"]) == str(tmp_path / "x.yaml")
    assert fast.config_file(["--config=x.yaml"]) == str(tmp_path / "x.yaml")
    xdg = os.environ["XDG_CONFIG_HOME"]
    assert fast.config_file(["--all"]) == os.path.join(xdg, "watcloud", "cluster.yaml")


def test_garbled_record_is_ignored() -> None:
    fast.cached_status([])
    assert fast.pending_record is not None
    Path(fast.pending_record).parent.mkdir(parents=True)
    Path(fast.pending_record).write_bytes(b"not json\nstuff")
    assert fast.cached_status([]) is None
    Path(fast.pending_record).write_bytes(b"wcstatus1 x 30 0 0\n")
    assert fast.cached_status([]) is None
    Path(fast.pending_record).write_bytes(b"other 1 30 0 0\n")
    assert fast.cached_status([], clock=1.5) is None
    Path(fast.pending_record).write_bytes(b"wcstatus1 1 30 0 99\nshort")  # truncated
    assert fast.cached_status([], clock=1.5) is None
    Path(fast.pending_record).write_bytes(b"wcstatus1 1 30 3 4\nerr\nout\n")
    assert fast.cached_status([], clock=1.5) == 3  # the control: a good record is served


def test_store_without_lookup_or_with_zero_ttl_does_nothing() -> None:
    fast.pending_record = None
    assert fast.store("a", "", 0, 30) is False
    fast.cached_status([])
    assert fast.store("a", "", 0, 0) is False
    assert fast.cached_status([]) is None
