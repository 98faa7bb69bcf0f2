"""`watcloud outage history fetch`: build a dataset from the live site, politely and resumably.

Each notice page `notice.php?ID=N` for N in [first, last] is fetched at most once per second
with the WATcloud User-Agent, retries and backoff. Found notices are appended to the output as
dataset lines (`{"id", "posted", "title", "html", "url"}`, unlabelled), one fsync'd line at a
time; IDs already in the output, or recorded as missing in the side database `<out>.crawl.db`,
are skipped on the next run, so an interrupted crawl resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watcloud.core.errors import InputError
from watcloud.core.state import open_db, transaction
from watcloud.core.timez import CLUSTER_TZ, now
from watcloud.outage.parse import garbled, parse_html, unreadable
from watcloud.outage.sources.plantops import PlantOps, SourceError

CRAWL_MIGRATIONS = [
    "CREATE TABLE skipped (id TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL)"
]


@dataclass
class CrawlReport:
    fetched: int = 0
    written: int = 0
    skipped_known: int = 0
    missing: int = 0
    errors: int = 0


def _existing_ids(out: Path) -> set[str]:
    """IDs already written; a torn last line (crash mid-write) is cut off."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    ids = set()
    good_end = 0
    pos = 0
    for line in data.splitlines(keepends=True):
        pos += len(line)
        if not line.endswith(b"\n"):
            break
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            break
        if not isinstance(obj, dict) or "id" not in obj:
            raise InputError(f"{out}: not a dataset file (a line without 'id')")
        ids.add(str(obj["id"]))
        good_end = pos
    if good_end < len(data):
        with out.open("r+b") as fh:
            fh.truncate(good_end)
    return ids


def crawl(
    source: PlantOps,
    first: int,
    last: int,
    out: Path,
    *,
    clock: Callable[[], datetime] = now,
    progress: Callable[[int], None] | None = None,
) -> CrawlReport:
    if first > last:
        raise InputError(f"--first-id {first} is after --last-id {last}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    have = _existing_ids(out)
    db = open_db(out.with_name(out.name + ".crawl.db"), CRAWL_MIGRATIONS)
    skipped = {r[0] for r in db.execute("SELECT id FROM skipped")}
    report = CrawlReport()
    try:
        with out.open("a", encoding="utf-8") as fh:
            for n in range(first, last + 1):
                nid = str(n)
                if progress:
                    progress(n)
                if nid in have or nid in skipped:
                    report.skipped_known += 1
                    continue
                url = source.notice_url(nid)
                try:
                    page = source.get(url)
                except SourceError as exc:
                    if "HTTP 404" in str(exc):
                        _skip(db, nid, "not found", clock())
                        report.missing += 1
                    else:
                        report.errors += 1  # transient: tried again on the next run
                    continue
                report.fetched += 1
                notice = parse_html(page.body, id=nid, url=url)
                if unreadable(f"{notice.title}\n{notice.text}"):
                    report.errors += 1  # a garbled (binary) page: asked again on the next run
                    continue
                if garbled(notice) is not None:
                    _skip(db, nid, "no notice on the page", clock())
                    report.missing += 1
                    continue
                rec = {
                    "id": nid,
                    "posted": clock().astimezone(CLUSTER_TZ).date().isoformat(),
                    "title": notice.title,
                    "html": page.body,
                    "url": url,
                }
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                report.written += 1
    finally:
        db.close()
    return report


def _skip(db: sqlite3.Connection, nid: str, reason: str, at: datetime) -> None:
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO skipped(id, reason, at) VALUES (?, ?, ?)",
            (nid, reason, at.isoformat()),
        )
