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
