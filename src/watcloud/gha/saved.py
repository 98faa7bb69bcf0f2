"""Saved API answers: `--save-dir DIR` records what a live trace read, `--from-dir DIR` reads
it back, so a trace can be rebuilt offline (and tests and demos go through the same path).

Each answer is stored as JSON at its API path under DIR, e.g.
`repos/OWNER/REPO/actions/runs/ID.json`, `.../runs/ID/attempts/N/jobs.json` (every page merged
into one `{"total_count", "jobs"}` object) and `repos/OWNER/REPO/contents@REF/PATH.json` (the
contents answer as GitHub sent it, base64 content). `watcloud-gha.json` records when it was
fetched: a run still in progress is counted up to that moment.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from watcloud.core.errors import InputError
from watcloud.core.fsutil import atomic_write
from watcloud.core.timez import parse_iso

MANIFEST = "watcloud-gha.json"


class Source(Protocol):
    """Where a trace's API answers come from: the live API or a saved directory."""

    def run(self, repo: str, run_id: int, attempt: int | None = None) -> dict[str, Any]: ...

    def jobs(self, repo: str, run_id: int, attempt: int) -> list[dict[str, Any]]: ...

    def contents(self, repo: str, path: str, ref: str) -> dict[str, Any]: ...


def _safe(*parts: str) -> Path:
    """A relative path from API names; a `..` or empty segment is refused."""
    segments = [seg for part in parts for seg in part.split("/")]
    if any(seg in ("", ".", "..") for seg in segments):
        raise InputError(f"unsafe path for a saved answer: {'/'.join(parts)!r}")
    return Path(*segments)


def run_path(repo: str, run_id: int, attempt: int | None) -> Path:
    base = _safe("repos", repo, "actions", "runs")
    if attempt is None:
        return base / f"{run_id}.json"
    return base / str(run_id) / "attempts" / f"{attempt}.json"


def jobs_path(repo: str, run_id: int, attempt: int) -> Path:
    return (
        _safe("repos", repo, "actions", "runs")
        / str(run_id)
        / "attempts"
        / str(attempt)
        / "jobs.json"
    )


def contents_path(repo: str, path: str, ref: str) -> Path:
    return _safe("repos", repo, f"contents@{ref}", path).with_name(_safe(path).name + ".json")


class Recorder:
    """Passes every call to `inner` (the live API) and saves each answer under `directory`."""

    def __init__(self, inner: Source, directory: Path, *, fetched_at: datetime) -> None:
        self.inner = inner
        self.directory = directory
        self._save(Path(MANIFEST), {"fetched_at": fetched_at.isoformat()})

    def _save(self, rel: Path, data: Any) -> None:
        try:
            atomic_write(self.directory / rel, json.dumps(data, indent=1) + "\n")
        except OSError as exc:
            raise InputError(
                f"--save-dir {self.directory}: cannot write {rel}: {exc.strerror}"
            ) from None

    def run(self, repo: str, run_id: int, attempt: int | None = None) -> dict[str, Any]:
        data = self.inner.run(repo, run_id, attempt)
        self._save(run_path(repo, run_id, attempt), data)
        return data

    def jobs(self, repo: str, run_id: int, attempt: int) -> list[dict[str, Any]]:
        jobs = self.inner.jobs(repo, run_id, attempt)
        self._save(jobs_path(repo, run_id, attempt), {"total_count": len(jobs), "jobs": jobs})
        return jobs

    def contents(self, repo: str, path: str, ref: str) -> dict[str, Any]:
        data = self.inner.contents(repo, path, ref)
        self._save(contents_path(repo, path, ref), data)
        return data


class SavedApi:
    """Answers from a directory written by `Recorder` (`--from-dir`)."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise InputError(f"--from-dir {directory}: no such directory")
        self.directory = directory

    def _load(self, rel: Path, what: str) -> Any:
        path = self.directory / rel
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{self.directory}: no saved answer for {what} ({rel})") from None
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not a saved API answer (malformed JSON: {exc})") from None

    def _object(self, rel: Path, what: str) -> dict[str, Any]:
        data = self._load(rel, what)
        if not isinstance(data, dict):
            raise InputError(f"{self.directory / rel}: expected a JSON object")
        return data

    def fetched_at(self) -> datetime | None:
        """When the answers were fetched (None when the manifest is absent or unreadable)."""
        try:
            data = json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))
            return parse_iso(str(data["fetched_at"])).astimezone(UTC)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def run(self, repo: str, run_id: int, attempt: int | None = None) -> dict[str, Any]:
        if attempt is not None and not (self.directory / run_path(repo, run_id, attempt)).exists():
            data = self._object(run_path(repo, run_id, None), f"run {run_id}")
            if int(data.get("run_attempt") or 1) == attempt:
                return data
        return self._object(run_path(repo, run_id, attempt), f"run {run_id}")

    def jobs(self, repo: str, run_id: int, attempt: int) -> list[dict[str, Any]]:
        data = self._object(jobs_path(repo, run_id, attempt), f"the jobs of run {run_id}")
        jobs = data.get("jobs")
        if not isinstance(jobs, list):
            raise InputError(f"{self.directory}: saved jobs of run {run_id} have no 'jobs' list")
        return jobs

    def contents(self, repo: str, path: str, ref: str) -> dict[str, Any]:
        return self._object(contents_path(repo, path, ref), f"{repo}/{path}@{ref}")
