"""`watcloud outage eval DATASET.jsonl`: false-positive/negative rates, status and window accuracy.

Dataset format (one JSON object per line):
    {"id": str, "posted": "YYYY-MM-DD", "title": str, "text": str}   (or "html" instead of "text")
    + "label": {"relevant": bool, "status": "scheduled"|"cancelled",
                "windows": [{"start": "YYYY-MM-DDTHH:MM", "end": "YYYY-MM-DDTHH:MM"}]}
status and windows only when relevant; windows in local (America/Toronto) time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from watcloud.core.errors import InputError
from watcloud.core.fsutil import read_text
from watcloud.core.timez import CLUSTER_TZ
from watcloud.outage.analysis import Analysis, analyze
from watcloud.outage.parse import parse_html, parse_text
from watcloud.outage.when import anchors_in


@dataclass
class Record:
    id: str
    posted: date
    title: str
    text: str | None
    html: str | None
    label: dict[str, Any] | None


def load_dataset(path: Path) -> list[Record]:
    lines = read_text(path, "dataset file").splitlines()
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        out.append(parse_record(line, f"{path}:{n}"))
    if not out:
        raise InputError(f"{path}: dataset is empty")
    return out


def parse_record(line: str, where: str) -> Record:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object")
    for key in ("id", "posted", "title"):
        if not isinstance(obj.get(key), str):
            raise InputError(f"{where}: key '{key}' must be a string")
    if not isinstance(obj.get("text"), str) and not isinstance(obj.get("html"), str):
        raise InputError(f"{where}: needs 'text' or 'html' (a string)")
    try:
        posted = date.fromisoformat(obj["posted"])
    except ValueError:
        raise InputError(f"{where}: 'posted' must be YYYY-MM-DD, got {obj['posted']!r}") from None
    label = obj.get("label")
    if label is not None:
        if not isinstance(label, dict) or not isinstance(label.get("relevant"), bool):
            raise InputError(f"{where}: 'label.relevant' must be true or false")
        if label["relevant"]:
            if label.get("status") not in ("scheduled", "cancelled"):
                raise InputError(f"{where}: 'label.status' must be scheduled or cancelled")
            wins = label.get("windows")
            if not isinstance(wins, list):
                raise InputError(f"{where}: 'label.windows' must be a list")
            for w in wins:
                try:
                    datetime.fromisoformat(w["start"])
                    datetime.fromisoformat(w["end"])
                except (KeyError, TypeError, ValueError):
                    raise InputError(
                        f"{where}: each label window needs 'start' and 'end' as YYYY-MM-DDTHH:MM"
                    ) from None
    return Record(obj["id"], posted, obj["title"], obj.get("text"), obj.get("html"), label)


def analyze_record(rec: Record, buildings: Mapping[str, Sequence[str]] | None = None) -> Analysis:
    if rec.html is not None:
        notice = parse_html(rec.html, id=rec.id, posted=rec.posted)
        if not notice.title:
            notice.title = rec.title
    else:
        assert rec.text is not None
        notice = parse_text(rec.text, title=rec.title or None, id=rec.id, posted=rec.posted)
    return analyze(notice, rec.posted, buildings)


def _local_key(value: str | datetime) -> str:
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    if dt.tzinfo is not None:
        dt = dt.astimezone(CLUSTER_TZ)
    return dt.strftime("%Y-%m-%dT%H:%M")


def window_keys(windows: Iterable[Mapping[str, str]]) -> list[tuple[str, str]]:
    return sorted((_local_key(w["start"]), _local_key(w["end"])) for w in windows)


def evaluate(
    records: Sequence[Record], buildings: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    status_ok = status_n = 0
    windows_ok = windows_n = 0
    after_own_year: list[str] = []
    results = []
    for rec in records:
        a = analyze_record(rec, buildings)
        if after_notice_year(a):
            after_own_year.append(rec.id)
        predicted: dict[str, Any] = {
            "relevant": a.relevant,
            "status": a.decision.label_status if a.relevant else None,
            "windows": [w.iso() for w in a.windows] if a.relevant else [],
        }
        label = rec.label
        correct: bool | None = None
        if label is not None:
            truth = label["relevant"]
            if truth and a.relevant:
                tp += 1
            elif truth:
                fn += 1
            elif a.relevant:
                fp += 1
            else:
                tn += 1
            correct = truth == a.relevant
            if truth:
                windows_n += 1
                exact = window_keys(label["windows"]) == window_keys(predicted["windows"])
                windows_ok += exact and a.relevant
                if a.relevant:
                    status_n += 1
                    same = label["status"] == predicted["status"]
                    status_ok += same
                    correct = correct and same and exact
                else:
                    correct = False
        results.append({"id": rec.id, "predicted": predicted, "label": label, "correct": correct})
    return {
        "notices": len(records),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "false_positive_rate": _rate(fp, fp + tn),
        "false_negative_rate": _rate(fn, fn + tp),
        "status_accuracy": _rate(status_ok, status_n),
        "window_exact_rate": _rate(windows_ok, windows_n),
        "after_own_year": after_own_year,
        "results": results,
    }


def after_notice_year(a: Analysis) -> bool:
    """A window dated after the last year the notice itself states (a year-less date rolled
    into the future); a January window right after a December one is fine."""
    years = [d.year for d in anchors_in("\n".join([a.notice.title, *a.notice.sections.values()]))]
    if not years:
        return False
    last = max(years)
    return any(
        w.start.year > last and not (w.start.year == last + 1 and w.start.month == 1)
        for w in a.windows
    )


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None
