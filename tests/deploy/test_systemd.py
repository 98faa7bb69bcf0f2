"""deploy/systemd: every unit passes `systemd-analyze verify` without a warning, every
ExecStart parses with the tool's own CLI, the example config loads, and the expiry units keep
everything read-only but their state (and, for delete, the scratch tree)."""

from __future__ import annotations

import configparser
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_binary, watcloud_exe
from tests.deploy.conftest import DEPLOY, parse_cli

UNITS = DEPLOY / "systemd"
INSTALLED = "/opt/watcloud/bin/watcloud"


def verify(units: list[Path], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` on copies whose ExecStart names this checkout's `watcloud`
    (verify checks that the executable exists; on a host it is /opt/watcloud/bin/watcloud)."""
    (analyze,) = require_binary("systemd-analyze")
    copies = []
    for unit in units:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED, watcloud_exe()))
        copies.append(copy)
    return subprocess.run(
        [analyze, "verify", *map(str, copies)], capture_output=True, text=True, timeout=120
    )


def unit_files() -> list[Path]:
    return sorted(p for p in UNITS.iterdir() if p.suffix in (".service", ".timer", ".path"))


def parse(unit: Path) -> configparser.RawConfigParser:
    cp = configparser.RawConfigParser(strict=False, delimiters=("=",))
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string(unit.read_text())
    return cp


def test_every_unit_verifies_cleanly(tmp_path: Path) -> None:
    units = unit_files()
    assert {u.name for u in units} >= {
        "watcloud-expiry-scan.service",
        "watcloud-expiry-scan.timer",
        "watcloud-expiry-delete.service",
        "watcloud-expiry-delete.timer",
        "watcloud-users-apply.service",
        "watcloud-users-apply.timer",
        "watcloud-users-apply.path",
    }
    proc = verify(units, tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("IOSchedulingClass=idle", "IOSchedulingClas=idle", "Unknown key"),
        ("IOSchedulingClass=idle", "IOSchedulingClass=idel", "Failed to parse IO scheduling"),
        ("03:00:00 America", "27:00:00 America", "calendar specification"),
    ],
)
def test_verify_catches_a_bad_unit(tmp_path: Path, old: str, new: str, message: str) -> None:
    """The check above can fail: systemd reports a misspelt key, a bad value or a bad
    calendar (exit 0 for the first two, so the test also requires empty stderr)."""
    bad = tmp_path / "bad"
    bad.mkdir()
    for unit in unit_files():
        if unit.name.startswith("watcloud-expiry-scan"):
            (bad / unit.name).write_text(unit.read_text().replace(old, new))
    proc = verify(sorted(bad.iterdir()), tmp_path)
    assert message in proc.stderr


def test_every_exec_start_parses_and_the_config_loads() -> None:
    from watcloud.core.config import load_config
    from watcloud.expiry.config import ExpiryConfig

    seen = 0
    for unit in unit_files():
        if unit.suffix != ".service":
            continue
        service = parse(unit)["Service"]
        for key in ("ExecStart", "ExecStartPost"):
            if key in service:
                argv = shlex.split(service[key])
                assert argv[0] == INSTALLED
                parse_cli(argv[1:])
                seen += 1
    assert seen == 4
    cfg = load_config(ExpiryConfig, UNITS / "expiry.yaml")
    # the warning promises deletion after grace_days: the delete timer runs 7 days later
    assert cfg.grace_days == 7


def test_expiry_units_write_only_their_state() -> None:
    scan = parse(UNITS / "watcloud-expiry-scan.service")["Service"]
    delete = parse(UNITS / "watcloud-expiry-delete.service")["Service"]
    for service in (scan, delete):
        assert service["IOSchedulingClass"] == "idle"
        assert service["ProtectSystem"] == "strict"  # the whole tree read-only ...
        assert service["ProtectHome"] == "read-only"
        assert "watcloud/expiry" in service["StateDirectory"].split()  # ... but the state
    argv = shlex.split(scan["ExecStart"])
    assert argv[argv.index("--save") + 1].startswith("/var/lib/watcloud/expiry/")
    assert "ReadWritePaths" not in scan  # the scan never writes to scratch
    assert delete["ReadWritePaths"].split() == ["/scratch"]
    assert delete["PrivateNetwork"] == "yes"
    users = parse(UNITS / "watcloud-users-apply.service")["Service"]
    assert users["ReadWritePaths"].split() == ["/etc", "/home", "-/var/lib/systemd/linger"]
    assert "--yes" in shlex.split(users["ExecStart"])  # no terminal to confirm on


def exec_lines(unit: str) -> list[list[str]]:
    service = parse(UNITS / unit)["Service"]
    return [shlex.split(service[k]) for k in ("ExecStart", "ExecStartPost") if k in service]


def test_the_expiry_cycle_runs_as_the_units_say(tmp_path: Path) -> None:
    """The units' own command lines, with /scratch, /var/lib and /etc/watcloud moved under a
    temporary directory: the scan saves the report where notify and (a week later) delete
    read it, and delete removes the expired entry and logs it in the state directory.
    (notify gets --dry-run: no mail relay here; the example config gets `time: mtime`
    because a test cannot set ctime back.)"""
    import os
    import time

    scratch, state, etc = tmp_path / "scratch", tmp_path / "var/lib", tmp_path / "etc/watcloud"
    (scratch / "alice/old-run").mkdir(parents=True)
    (scratch / "alice/fresh.txt").write_text("new")
    old = scratch / "alice/old-run/data.bin"
    old.write_bytes(b"x" * 4096)
    (scratch / "bob/thesis").mkdir(parents=True)  # bob's whole top-level entry is old
    (scratch / "bob/thesis/draft.tex").write_text("old")
    past = time.time() - 200 * 86400
    for p in (old, old.parent, *sorted(scratch.glob("bob/**/*"), reverse=True), scratch / "bob"):
        os.utime(p, (past, past))
    etc.mkdir(parents=True)
    (etc / "expiry.yaml").write_text((UNITS / "expiry.yaml").read_text() + "time: mtime\n")
    (state / "watcloud/expiry").mkdir(parents=True)  # StateDirectory= makes it

    def moved(argv: list[str]) -> list[str]:
        out = []
        for arg in argv:
            arg = arg.replace("/var/lib/", f"{state}/").replace("/etc/watcloud/", f"{etc}/")
            out.append(str(scratch) if arg == "/scratch" else arg)
        return [watcloud_exe(), *out[1:]]

    env = {**os.environ, "XDG_STATE_HOME": str(state), "XDG_CACHE_HOME": str(tmp_path / "c")}
    (scan, notify) = exec_lines("watcloud-expiry-scan.service")
    (delete,) = exec_lines("watcloud-expiry-delete.service")
    for argv in (moved(scan), [*moved(notify), "--dry-run"], moved(delete)):
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, (argv, proc.stderr)
    assert not old.exists()  # one of alice's oldest files
    assert not (scratch / "bob").exists()  # an expired top-level entry
    assert (scratch / "alice/fresh.txt").exists()
    log = (state / "watcloud/expiry/deletions.log").read_text()
    assert "old-run/data.bin" in log and "bob/thesis/draft.tex" in log
