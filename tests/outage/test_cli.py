"""`watcloud outage check` and `eval` through the installed command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.outage.conftest import Site, notice_html

DATA = Path(__file__).resolve().parents[2] / "src" / "watcloud" / "outage" / "data"
KEYS = {"notices", "tp", "fp", "fn", "tn", "false_positive_rate", "false_negative_rate",
        "status_accuracy", "window_exact_rate", "after_own_year", "results"}  # fmt: skip


def test_check_html_file_explain(tmp_path: Path, run_watcloud: Any) -> None:
    page = tmp_path / "n.html"
    page.write_text(notice_html(
        "Electrical Shutdown, Sunday, September 13, 2026 between 7:00am-1:00pm, CPH, DWE",
        "Carl Pollack Hall and Douglas Wright Engineering", "Electrical Shutdown",
        "September 13, 2026", "Normal power, elevators included, is off; only emergency power "
        "stays on. Starting at 7:00 am lasting 6 hours."))  # fmt: skip
    r = run_watcloud("outage", "check", str(page), "--explain", "--posted", "2026-09-01")
    assert r.returncode == 0, r.stderr
    assert "decision: RELEVANT" in r.stdout
    assert "2026-09-13 07:00 ET -> 2026-09-13 13:00 ET" in r.stdout
    assert "[building] watched building CPH named in title" in r.stdout
    assert "**Duration**: 6 hours" in r.stdout
    r = run_watcloud("outage", "check", str(page), "--posted", "2026-09-01", "-o", "json")
    out = json.loads(r.stdout)
    assert out["relevant"] and out["windows"] == [
        {"start": "2026-09-13T07:00-04:00", "end": "2026-09-13T13:00-04:00"}
    ]
    assert out["announcement"]["start"] == "2026-09-13 07:00 ET"


def test_check_text_not_relevant(tmp_path: Path, run_watcloud: Any) -> None:
    f = tmp_path / "n.txt"
    f.write_text(
        "Water Shutdown - CPH\n\nWhat is happening?\n\nDomestic water off.\n\n"
        "When is this happening?\n\nJune 3, 2026, 8 a.m. to noon\n"
    )
    r = run_watcloud("outage", "check", str(f), "--explain")
    assert r.returncode == 0 and "decision: not relevant" in r.stdout and "[not-power]" in r.stdout


def test_check_bad_input(tmp_path: Path, run_watcloud: Any) -> None:
    r = run_watcloud("outage", "check", str(tmp_path / "missing.html"))
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    r = run_watcloud("outage", "check", str(empty))
    assert r.returncode == 2 and "no notice found" in r.stderr
    r = run_watcloud("outage", "check", "http://127.0.0.1:9/notice.php?ID=1")
    assert r.returncode == 2 and "cannot fetch" in r.stderr


def test_eval_json_keys_on_the_bundled_split(run_watcloud: Any) -> None:
    r = run_watcloud("outage", "eval", str(DATA / "dev.jsonl"), "--output", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == KEYS
    assert out["notices"] == len((DATA / "dev.jsonl").read_text().splitlines())
    assert out["tp"] + out["fp"] + out["fn"] + out["tn"] == out["notices"]
    first = out["results"][0]
    assert set(first) == {"id", "predicted", "label", "correct"}
    assert set(first["predicted"]) == {"relevant", "status", "windows"}
    for res in out["results"]:
        for w in res["predicted"]["windows"]:
            assert w["start"][-6] in "+-" and w["start"][-3] == ":", "ISO 8601 with UTC offset"


def test_eval_bad_dataset(tmp_path: Path, run_watcloud: Any) -> None:
    bad = tmp_path / "d.jsonl"
    bad.write_text('{"id": "1", "posted": "2024-01-01", "title": "t", "text": "x"}\n{nope\n')
    r = run_watcloud("outage", "eval", str(bad))
    assert r.returncode == 2 and ":2: invalid JSON" in r.stderr
    bad.write_text('{"id": "1", "posted": "Jan 1", "title": "t", "text": "x"}\n')
    r = run_watcloud("outage", "eval", str(bad))
    assert r.returncode == 2 and "'posted' must be YYYY-MM-DD" in r.stderr
    r = run_watcloud("outage", "eval", str(tmp_path / "none.jsonl"))
    assert r.returncode == 2 and "not found" in r.stderr


@pytest.mark.integration
def test_check_url(site: Site, run_watcloud: Any) -> None:
    site.set_notice(2496, notice_html(
        "Hydro Shutdown - Carl A. Pollock Hall", "Carl A. Pollock Hall", "Hydro shutdown.",
        "Saturday, March 6, 2027, 6:00 a.m. to 10:00 a.m."))  # fmt: skip
    url = f"{site.base}/service-interruptions/notice.php?ID=2496"
    r = run_watcloud("outage", "check", url, "-o", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["id"] == "2496" and out["url"] == url and out["relevant"]
    assert out["announcement"]["notice_url"] == url
    assert "WATcloud" in site.log[-1]["ua"]
    r = run_watcloud("outage", "check", f"{site.base}/service-interruptions/notice.php?ID=1")
    assert r.returncode == 2 and "HTTP 404" in r.stderr


def test_check_html_only_email(tmp_path: Path, run_watcloud: Any) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "[Electrical] Power Interruption - CPH"
    msg["From"] = "plantops@example.org"
    msg["Date"] = "Mon, 01 Mar 2027 09:00:00 -0500"
    msg.set_content(
        notice_html(
            "Power Interruption - CPH", "CPH", "Power interruption.", "March 13, 7 a.m. to 9 a.m."
        ),
        subtype="html",
    )
    f = tmp_path / "n.eml"
    f.write_bytes(bytes(msg))
    r = run_watcloud("outage", "check", str(f), "-o", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["style"] == "email" and out["title"] == "Power Interruption - CPH"
    assert out["windows"] == [{"start": "2027-03-13T07:00-05:00", "end": "2027-03-13T09:00-05:00"}]


def test_check_unknown_end_is_said_not_invented(tmp_path: Path, run_watcloud: Any) -> None:
    f = tmp_path / "n.txt"
    f.write_text(
        "Electrical Shutdown - CPH\n\nWhat is happening?\n\nPower off in CPH.\n\n"
        "When is this happening?\n\nSaturday, June 5, 2027, beginning at 6 a.m.\n"
    )
    r = run_watcloud("outage", "check", str(f), "--posted", "2027-05-01")
    assert r.returncode == 0, r.stderr
    assert "**Start Time**: 2027-06-05 06:00 ET" in r.stdout
    assert "**End Time**: not stated" in r.stdout and "**Duration**: unknown" in r.stdout
    assert "no end time stated" in r.stdout


def test_check_binary_file_is_a_garbled_notice_exit_2(run_watcloud: Any, tmp_path: Path) -> None:
    f = tmp_path / "notice.txt"
    f.write_bytes(b"Electrical Shutdown - CPH\n\nWhat is happening?\n\n" + bytes(range(256)) * 16)
    r = run_watcloud("outage", "check", str(f))
    assert r.returncode == 2
    assert "garbled notice" in r.stderr and len(r.stderr.strip().splitlines()) == 1
