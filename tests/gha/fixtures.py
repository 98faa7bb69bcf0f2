"""Fixtures written for this project in the GitHub REST API's documented shapes, and a stand-in
API server on loopback that serves them (runs, paginated jobs, base64 contents, 404, limits)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

T0 = datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC)
REPO = "watonomous/infra-config"
RUN_ID = 9100200300
SHA = "0123456789abcdef0123456789abcdef01234567"

CI_YML = """\
name: CI
on: [push]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: make lint
  build:
    needs: lint
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest]
        python: ["3.11", "3.12"]
    runs-on: ${{ matrix.os }}
    steps:
      - run: make build
  test:
    name: Unit tests
    needs: [build]
    runs-on: ubuntu-latest
    steps:
      - run: make test
  docs:
    name: Docs (${{ matrix.site }})
    needs: lint
    strategy:
      matrix:
        site: [main, api]
    runs-on: ubuntu-latest
    steps:
      - run: make docs
  call-release:
    needs: test
    uses: ./.github/workflows/release.yml
  deploy:
    needs: [call-release, docs]
    runs-on: ubuntu-latest
    steps:
      - run: make deploy
"""

RELEASE_YML = """\
on: workflow_call
jobs:
  package:
    name: Package
    runs-on: ubuntu-latest
    steps:
      - run: make package
  publish:
    needs: package
    runs-on: ubuntu-latest
    steps:
      - run: make publish
"""


def ts(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def job(
    job_id: int, name: str, created: float, started: float, completed: float, steps: int = 2
) -> dict[str, Any]:
    span = (completed - started) / max(steps, 1)
    return {
        "id": job_id,
        "run_id": RUN_ID,
        "run_attempt": 1,
        "name": name,
        "status": "completed",
        "conclusion": "success",
        "created_at": ts(created),
        "started_at": ts(started),
        "completed_at": ts(completed),
        "runner_name": f"runner-{job_id % 7}",
        "labels": ["ubuntu-latest"],
        "steps": [
            {
                "name": f"Step {i + 1}",
                "status": "completed",
                "conclusion": "success",
                "number": i + 1,
                "started_at": ts(started + i * span),
                "completed_at": ts(started + (i + 1) * span),
            }
            for i in range(steps)
        ],
    }


def ci_jobs() -> list[dict[str, Any]]:
    """The CI run: lint -> build matrix -> Unit tests -> call-release / (Package -> publish) and
    lint -> Docs matrix; deploy after both; plus one job no workflow job can have produced."""
    return [
        job(1001, "lint", 0, 0.5, 2),
        job(1002, "build (ubuntu-latest, 3.11)", 2, 2.2, 6),
        job(1003, "build (ubuntu-latest, 3.12)", 2, 2.3, 7),
        job(1004, "build (macos-latest, 3.11)", 2, 4.0, 9),
        job(1005, "build (macos-latest, 3.12)", 2, 3.0, 8),
        job(1006, "Unit tests", 9, 9.5, 12),
        job(1007, "Docs (main)", 2, 2.1, 3),
        job(1008, "Docs (api)", 2, 2.2, 3.5),
        job(1009, "call-release / Package", 12, 12.5, 14),
        job(1010, "call-release / publish", 14, 16, 17),
        job(1011, "deploy", 17, 17.2, 18),
        job(1012, "Post-run cleanup", 18, 18.1, 18.2, steps=1),
    ]


def run_json(
    run_id: int = RUN_ID, attempt: int = 1, path: str = ".github/workflows/ci.yml"
) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": "CI",
        "display_title": "Bump versions",
        "path": path,
        "head_sha": SHA,
        "run_attempt": attempt,
        "status": "completed",
        "conclusion": "success",
        "created_at": ts(0),
        "run_started_at": ts(0),
        "updated_at": ts(18.2),
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
        "repository": {"full_name": REPO},
    }


@dataclass
class Api:
    """What the stand-in serves; tests mutate it before or between requests."""

    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (repo, path, ref)
    rate_limited: bool = False
    secondary_limit_once: bool = False
    # one refusal shaped by the test: (status, message, headers), answered to the next request
    refuse_once: tuple[int, str, dict[str, str]] | None = None
    requests: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)


def default_api() -> Api:
    api = Api()
    api.runs[RUN_ID] = run_json()
    api.jobs[RUN_ID] = ci_jobs()
    api.files[(REPO, ".github/workflows/ci.yml", SHA)] = CI_YML
    api.files[(REPO, ".github/workflows/release.yml", SHA)] = RELEASE_YML
    return api


def _b64(text: str) -> str:
    raw = base64.b64encode(text.encode()).decode()
    # GitHub wraps base64 content at 60 characters with newlines.
    return "\n".join(raw[i : i + 60] for i in range(0, len(raw), 60)) + "\n"


def make_handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-ratelimit-limit", "5000")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = url.path.strip("/").split("/")
            api.requests.append(self.path)
            api.auth.append(self.headers.get("Authorization"))
            if api.refuse_once is not None:
                status, message, headers = api.refuse_once
                api.refuse_once = None
                self._send(status, {"message": message}, headers)
                return
            if api.secondary_limit_once:
                api.secondary_limit_once = False
                self._send(
                    403,
                    {"message": "You have exceeded a secondary rate limit."},
                    {"retry-after": "1"},
                )
                return
            if api.rate_limited:
                self._send(
                    403,
                    {"message": "API rate limit exceeded for 127.0.0.1."},
                    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000"},
                )
                return
            not_found = {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest",
            }
            # /repos/{o}/{r}/actions/runs/{id}[/attempts/{n}[/jobs]]
            if len(parts) >= 6 and parts[0] == "repos" and parts[3:5] == ["actions", "runs"]:
                run_id = int(parts[5])
                if run_id not in api.runs:
                    return self._send(404, not_found)
                if len(parts) in (6, 8):
                    body = dict(api.runs[run_id])
                    if len(parts) == 8:
                        body["run_attempt"] = int(parts[7])
                    return self._send(200, body)
                if len(parts) == 9 and parts[8] == "jobs":
                    return self._jobs(api.jobs.get(run_id, []), query, url.path)
            if len(parts) >= 5 and parts[0] == "repos" and parts[3] == "contents":
                repo, path = f"{parts[1]}/{parts[2]}", "/".join(parts[4:])
                text = api.files.get((repo, path, query.get("ref", "")))
                if text is None:
                    return self._send(404, not_found)
                return self._send(
                    200,
                    {
                        "type": "file",
                        "encoding": "base64",
                        "path": path,
                        "name": path.rsplit("/", 1)[-1],
                        "content": _b64(text),
                    },
                )
            self._send(404, not_found)

        def _jobs(self, jobs: list[dict[str, Any]], query: dict[str, str], path: str) -> None:
            per_page = min(int(query.get("per_page", 30)), 100)
            page = int(query.get("page", 1))
            chunk = jobs[(page - 1) * per_page : page * per_page]
            last = max(1, -(-len(jobs) // per_page))
            host = f"http://{self.headers['Host']}"
            links = []
            if page < last:
                links.append(f'<{host}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
                links.append(f'<{host}{path}?per_page={per_page}&page={last}>; rel="last"')
            headers = {"Link": ", ".join(links)} if links else {}
            self._send(200, {"total_count": len(jobs), "jobs": chunk}, headers)

    return Handler


@contextmanager
def serve(api: Api) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
