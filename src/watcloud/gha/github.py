"""The GitHub REST API calls a trace needs: the run, its jobs (paginated), a file at a commit."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from watcloud.core import github as gh
from watcloud.core.errors import WatcloudError
from watcloud.core.http import make_client

DEFAULT_API = gh.API_DEFAULT
MAX_RETRY_AFTER_S = 60.0


class GitHubError(WatcloudError):
    """The API could not answer (unreachable, rate limited, refused): exit 1."""

    exit_code = 1


class NotFound(WatcloudError):
    """A run, repository or file that does not exist (or is private without a token)."""


class GitHub:
    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = gh.api_url(base_url)
        token = token if token is not None else gh.token()
        headers = gh.headers(token)
        self.has_token = bool(token)
        self._client = make_client("gha", timeout=timeout, headers=headers)
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        if not url.startswith("http"):
            url = self.base_url + url
        for _ in range(4):
            try:
                resp = self._client.get(url, params=params)
            except httpx.HTTPError as exc:
                raise GitHubError(f"GitHub API at {self.base_url} unreachable: {exc}") from None
            wait = self._rate_limit_wait(resp)
            if wait is not None:
                self._sleep(wait)
                continue
            return self._check(resp)
        raise GitHubError(f"GitHub API still rate limiting after retries: {url}")

    def _rate_limit_wait(self, resp: httpx.Response) -> float | None:
        """Seconds to wait for a rate limit within MAX_RETRY_AFTER_S (None: not a rate limit);
        raises for a limit that lasts longer."""
        if resp.status_code not in (403, 429):
            return None
        limited = gh.rate_limit(resp.status_code, resp.headers, time.time(), _message(resp))
        if limited is None or limited.wait <= MAX_RETRY_AFTER_S:
            return None if limited is None else limited.wait
        if limited.kind == "secondary":
            raise GitHubError(f"GitHub API secondary rate limit: retry after {limited.wait:.0f} s")
        when = ""
        if limited.reset is not None:
            when = f"; it resets at {limited.reset:%H:%M:%S} UTC (in {int(limited.wait)} s)"
        hint = "" if self.has_token else "; set GITHUB_TOKEN for a higher limit"
        raise GitHubError(
            f"GitHub API rate limit of {limited.limit or '?'} requests exhausted{when}{hint}"
        )

    def _check(self, resp: httpx.Response) -> httpx.Response:
        if resp.is_success:
            return resp
        message = _message(resp)
        path = resp.request.url.path
        if resp.status_code == 404:
            hint = "" if self.has_token else " (private? set GITHUB_TOKEN)"
            raise NotFound(f"GitHub API: {path} not found{hint}")
        if resp.status_code == 401:
            raise GitHubError(f"GitHub API: bad credentials for {path} (check GITHUB_TOKEN)")
        raise GitHubError(f"GitHub API: {path} answered {resp.status_code} {message}".strip())

    def _json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        resp = self._get(url, params)
        try:
            return resp.json()
        except ValueError:
            raise GitHubError(f"GitHub API: {url} did not return JSON") from None

    def run(self, repo: str, run_id: int, attempt: int | None = None) -> dict[str, Any]:
        url = f"/repos/{repo}/actions/runs/{run_id}"
        if attempt is not None:
            url += f"/attempts/{attempt}"
        data = self._json(url)
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub API: {url} returned {type(data).__name__}, not an object")
        return data

    def jobs(self, repo: str, run_id: int, attempt: int) -> list[dict[str, Any]]:
        """Every job of the attempt, following `Link: rel="next"` pages of 100."""
        url: str | None = f"/repos/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs"
        params: dict[str, Any] | None = {"per_page": 100}
        jobs: list[dict[str, Any]] = []
        while url:
            resp = self._get(url, params)
            try:
                page = resp.json()
                jobs += page["jobs"]
            except (ValueError, KeyError, TypeError):
                raise GitHubError(
                    f"GitHub API: malformed jobs page at {resp.request.url}"
                ) from None
            url = gh.next_link(resp.headers.get("link"))
            params = None  # the next link carries its own query
        return jobs

    def contents(self, repo: str, path: str, ref: str) -> dict[str, Any]:
        """`GET /repos/{repo}/contents/{path}?ref=` as returned (base64 content)."""
        data = self._json(f"/repos/{repo}/contents/{quote(path)}", {"ref": ref})
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub API: {repo}/{path} is not a file")
        return data

    def file(self, repo: str, path: str, ref: str) -> str:
        return decode_contents(self.contents(repo, path, ref), repo, path)


def _message(resp: httpx.Response) -> str:
    """The JSON `message` of an error answer (or the start of a non-JSON body)."""
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:100]
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def decode_contents(data: dict[str, Any], repo: str, path: str) -> str:
    """The text of a contents-API answer (a file, base64 encoded)."""
    if data.get("type", "file") != "file":
        raise GitHubError(f"GitHub API: {repo}/{path} is not a file")
    if data.get("encoding") != "base64":
        raise GitHubError(
            f"GitHub API: {repo}/{path}: unsupported encoding {data.get('encoding')!r}"
        )
    try:
        return base64.b64decode(data.get("content", "")).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise GitHubError(f"GitHub API: {repo}/{path}: content is not base64 UTF-8") from None
