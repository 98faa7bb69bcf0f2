"""End to end through the installed `watcloud` command; bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import require_binary
from tests.expiry.conftest import age, touch


def tree(root: Path) -> None:
    touch(root / "alice/old/a.bin", days_ago=200, data=b"a" * 100)
    touch(root / "bob/new.txt", days_ago=1)
    touch(root / "bob/stale.txt", days_ago=120)
    age(root / "alice/old", 200)
    age(root / "alice", 200)


def one_line_error(res: subprocess.CompletedProcess[str], text: str) -> None:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert text in res.stderr, res.stderr


def test_scan_text_and_json(tmp_path: Path, run_watcloud: Any) -> None:
    root = tmp_path / "scratch"
    tree(root)
    res = run_watcloud("expiry", "scan", str(root), "--time", "mtime", "--threshold", "70d")
    assert res.returncode == 0, res.stderr
    assert "Expiry scan of" in res.stdout and "threshold 70d" in res.stdout
    assert f"{root}/alice" in res.stdout  # listed as an expired top-level entry
    saved = tmp_path / "report.json"
    res = run_watcloud(
        "expiry", "scan", str(root), "--time", "mtime", "-o", "json", "--save", str(saved)
    )
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert json.loads(saved.read_text()) == rep
    assert rep["schema"] == "watcloud-expiry-report/1"
    s = rep["scan"]
    for key in (
        "root",
        "filesystem",
        "atime",
        "time_field",
        "threshold_seconds",
        "cutoff",
        "duration_seconds",
        "counts",
        "warnings",
        "errors",
    ):
        assert key in s
    assert s["time_field_effective"] == "mtime" and s["threshold"] == "70d"
    (u,) = rep["users"]
    assert u["expired_files"] == 2 and [t["path"] for t in u["expired_top_level"]] == [
        f"{root}/alice"
    ]
    import pwd

    assert u["user"] == pwd.getpwuid(os.geteuid()).pw_name


def test_scan_then_delete_dry_run_then_apply(tmp_path: Path, run_watcloud: Any) -> None:
    root = tmp_path / "scratch"
    tree(root)
    report = tmp_path / "r.json"
    res = run_watcloud("expiry", "scan", str(root), "--time", "mtime", "--save", str(report))
    assert res.returncode == 0, res.stderr
    plan = run_watcloud("expiry", "delete", str(report), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "would remove" in plan.stdout and (root / "alice/old/a.bin").exists()
    log = tmp_path / "del.log"
    res = run_watcloud("expiry", "delete", str(report), "--log", str(log), "-o", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert not (root / "alice").exists() and not (root / "bob/stale.txt").exists()
    assert (root / "bob/new.txt").exists()
    assert len(log.read_text().splitlines()) == len(out["removed"]) == 4  # a.bin, old, alice, stale


def test_bad_input(tmp_path: Path, run_watcloud: Any) -> None:
    one_line_error(run_watcloud("expiry", "scan", str(tmp_path / "nope")), "cannot scan")
    (tmp_path / "f").write_text("x")
    one_line_error(run_watcloud("expiry", "scan", str(tmp_path / "f")), "not a directory")
    one_line_error(
        run_watcloud("expiry", "scan", str(tmp_path), "--threshold", "soon"), "invalid duration"
    )
    one_line_error(run_watcloud("expiry", "scan", str(tmp_path), "--time", "btime"), "--time")
    one_line_error(
        run_watcloud("expiry", "scan", str(tmp_path), "--list-files", str(tmp_path / "no/x")),
        "No such file",
    )
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("threshold: 70d\nthreshhold: 3d\n")
    one_line_error(run_watcloud("expiry", "scan", str(tmp_path), "-c", str(cfg)), "threshhold")
    cfg.write_text("threshold: [1\n")
    one_line_error(run_watcloud("expiry", "scan", str(tmp_path), "-c", str(cfg)), "invalid YAML")
    cfg.write_text("protected: [/etc]\n")
    one_line_error(run_watcloud("expiry", "scan", str(tmp_path), "-c", str(cfg)), "outside")
    for cmd in ("delete", "notify"):
        one_line_error(run_watcloud("expiry", cmd, str(tmp_path / "missing.json")), "not found")
        garbled = tmp_path / "garbled.json"
        garbled.write_text('{"schema": "watcloud-expiry-report/1", "scan": ')
        one_line_error(run_watcloud("expiry", cmd, str(garbled)), "not JSON")
        garbled.write_text('{"schema": "something-else"}')
        one_line_error(run_watcloud("expiry", cmd, str(garbled)), "not an expiry report")
        garbled.write_text('{"schema": "watcloud-expiry-report/1", "scan": {}, "users": []}')
        one_line_error(run_watcloud("expiry", cmd, str(garbled)), "malformed")


def test_gentle_sets_idle_io_class_and_nice(tmp_path: Path) -> None:
    """Judged by util-linux's `ionice -p`, reading the priority of the gentle process."""
    (ionice,) = require_binary("ionice")
    code = (
        "import os, subprocess, sys\n"
        "from watcloud.expiry.gentle import be_gentle\n"
        "assert be_gentle() == []\n"
        f"print(subprocess.run([{ionice!r}, '-p', str(os.getpid())], capture_output=True,"
        " text=True, check=True).stdout.strip())\n"
        "print(os.getpriority(os.PRIO_PROCESS, 0))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    io_line, nice_line = out.stdout.splitlines()
    assert io_line == "idle"
    assert nice_line == "19"


def test_gentle_scan_runs(tmp_path: Path, run_watcloud: Any) -> None:
    tree(tmp_path)
    res = run_watcloud("expiry", "scan", str(tmp_path), "--gentle", "-o", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["scan"]["counts"]["files"] == 3


def test_exclude_and_protect_options(tmp_path: Path, run_watcloud: Any) -> None:
    root = tmp_path / "scratch"
    tree(root)
    args = ["expiry", "scan", str(root), "--time", "mtime", "-o", "json"]
    rep = json.loads(run_watcloud(*args, "--exclude", "*.bin").stdout)
    tops = {Path(t["path"]).name: t for t in rep["top_level"]}
    assert tops["alice"]["expired"] is False and tops["alice"]["kept"] is True
    rep = json.loads(run_watcloud(*args, "--protect", "bob/stale.txt").stdout)
    assert rep["scan"]["counts"]["expired_files"] == 1  # only alice's a.bin
    assert rep["scan"]["protected"] == [f"{root}/bob/stale.txt"]


def test_names_cannot_forge_report_lines(tmp_path: Path, run_watcloud: Any) -> None:
    """A file name with a newline, an escape sequence or a bidi override stays on its line."""
    root = tmp_path / "scratch"
    forged = "x\n  2001-01-01  1.0 GB  root  /etc/shadow"
    names = [forged, "bell\x07\x1b[31mred", "rlo\u202etxt.exe", "back\\nslash"]
    for name in names:
        touch(root / "alice" / name, days_ago=200)
    touch(os.fsencode(root / "alice") + b"/bad\xffbyte", days_ago=200)
    age(root / "alice", 200)
    report = tmp_path / "r.json"
    res = run_watcloud("expiry", "scan", str(root), "--time", "mtime", "--save", str(report))
    assert res.returncode == 0, res.stderr
    plan = run_watcloud("expiry", "delete", str(report), "--dry-run")
    log = tmp_path / "del.log"
    done = run_watcloud("expiry", "delete", str(report), "--log", str(log))
    assert done.returncode == 0, done.stderr
    for out in (res.stdout, plan.stdout, done.stdout):
        assert not any(line.lstrip().startswith("2001-01-01") for line in out.splitlines())
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    listed = "\n".join(
        line for line in res.stdout.splitlines() + plan.stdout.splitlines() if "alice/" in line
    )
    assert "x\\n  2001-01-01" in listed and "bell\\x07\\x1b[31mred" in listed
    assert "rlo\\u202etxt.exe" in listed and "back\\\\nslash" in listed
    assert "bad\\xffbyte" in listed
    entries = [json.loads(line) for line in log.read_text().splitlines()]  # one per line
    assert f"{root}/alice/{forged}" in {e["path"] for e in entries}


def test_delete_needs_an_explicit_log(tmp_path: Path, run_watcloud: Any) -> None:
    root = tmp_path / "scratch"
    tree(root)
    report = tmp_path / "r.json"
    assert run_watcloud("expiry", "scan", str(root), "--time", "mtime", "--save", str(report))
    res = run_watcloud("expiry", "delete", str(report))
    one_line_error(res, "no deletion log: set deletion_log in the expiry config or give --log FILE")
    assert (root / "alice/old/a.bin").exists()  # nothing deleted
    cfg = tmp_path / "expiry.yaml"
    log = tmp_path / "logs/deletions.log"
    cfg.write_text(f"deletion_log: {log}\n")
    res = run_watcloud("expiry", "delete", str(report), "-c", str(cfg))
    assert res.returncode == 0, res.stderr
    assert not (root / "alice").exists() and len(log.read_text().splitlines()) == 4
    assert f"log: {log}" in res.stdout
    link = tmp_path / "link.log"
    link.symlink_to(tmp_path / "elsewhere.log")
    tree(root)
    assert run_watcloud("expiry", "scan", str(root), "--time", "mtime", "--save", str(report))
    res = run_watcloud("expiry", "delete", str(report), "--log", str(link))
    one_line_error(res, f"deletion log {link}: cannot open")
    assert (root / "alice/old/a.bin").exists() and not (tmp_path / "elsewhere.log").exists()
