"""Fetching `watcloud status`'s sources concurrently, each within its own timeout.

HTTP sources (machine-info, healthchecks) go through one `httpx.AsyncClient`; SLURM commands
run in threads at the same time. A source that fails or hangs past `source_timeout` is
reported as failed and the others still count. Good answers are cached for `cache_ttl`
seconds under `core.paths.cache_dir()/responses/`; when a source fails, an older cached
answer (up to `STALE_MAX` old) is shown instead, marked stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from watcloud.cluster import slurm
from watcloud.cluster.config import API_KEY_ENV, ClusterConfig, site_config_path
from watcloud.cluster.health import (
    Check,
    Machine,
    SourceDataError,
    parse_badge,
    parse_checks,
    parse_machine_info,
)
from watcloud.cluster.status import SourceStatus
from watcloud.core.config import read_secret
from watcloud.core.errors import ConfigError
from watcloud.core.fsutil import atomic_write
from watcloud.core.paths import cache_dir

T = TypeVar("T")
STALE_MAX = 24 * 3600.0
CHECKS_PATH = "/api/v3/checks/"


class SourceError(Exception):
    """One source failed; the message says how (one line)."""


class ResponseCache:
    """Raw response bodies on disk, keyed by a hash of the request (never the API key)."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.clock = clock

    @staticmethod
    def key(url: str, secret: str | None = None) -> str:
        secret_hash = hashlib.sha256((secret or "").encode()).hexdigest()
        return hashlib.sha256(f"{url}\0{secret_hash}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, max_age: float) -> tuple[bytes, float] | None:
        try:
            record = json.loads(self._path(key).read_text(encoding="utf-8"))
            age = self.clock() - float(record["fetched_at"])
            body = str(record["body"]).encode()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if age < 0 or age > max_age:
            return None
        return body, age

    def put(self, key: str, body: bytes, url: str) -> None:
        record = {"fetched_at": self.clock(), "url": url, "body": body.decode("utf-8", "replace")}
        # a cache that cannot be written is not worth failing the command for
        with contextlib.suppress(OSError):
            atomic_write(self._path(key), json.dumps(record), mode=0o600)


@dataclass
class Collected:
    machines: list[Machine] = field(default_factory=list)
    checks: list[Check] | None = None
    nodes: dict[str, slurm.NodeState] | None = None
    reservations: list[slurm.Reservation] | None = None
    sources: list[SourceStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceDataError(f"malformed JSON: {exc}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _connect_reason(exc: BaseException) -> str:
    """The OS-level reason under httpx's "All connection attempts failed", when there is one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror[0].lower() + seen.strerror[1:]
        seen = seen.__cause__ or seen.__context__
    return _one_line(exc)


async def _fetch_body(client: Any, url: str, headers: dict[str, str]) -> bytes:
    import httpx

    if url.startswith("file://"):
        path = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise SourceError(f"{path}: {exc.strerror}") from None
    try:
        response = await client.get(url, headers=headers)
    except httpx.TimeoutException:
        raise SourceError(f"timed out ({url})") from None
    except httpx.ConnectError as exc:
        raise SourceError(f"cannot connect to {url}: {_connect_reason(exc)}") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{type(exc).__name__}: {_one_line(exc)} ({url})") from None
    if response.status_code != 200:
        raise SourceError(f"HTTP {response.status_code} {response.reason_phrase} from {url}")
    return bytes(response.content)


async def fetch_source(
    name: str,
    url: str,
    parse: Callable[[bytes], T],
    *,
    client: Any,
    cache: ResponseCache,
    timeout: float,
    ttl: float,
    refresh: bool,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
) -> tuple[T | None, SourceStatus]:
    key = cache.key(url, secret)
    if not refresh and ttl > 0 and (hit := cache.get(key, ttl)) is not None:
        try:
            return parse(hit[0]), SourceStatus(name, ok=True, age_seconds=hit[1])
        except SourceDataError:
            pass  # a corrupt cache entry: fetch again
    try:
        body = await asyncio.wait_for(_fetch_body(client, url, headers or {}), timeout)
        value = parse(body)
    except TimeoutError:
        error = f"no answer within {timeout:g} s ({url})"
    except SourceError as exc:
        error = str(exc)
    except SourceDataError as exc:
        error = f"unexpected answer from {url}: {exc}"
    else:
        if ttl > 0:
            cache.put(key, body, url)
        return value, SourceStatus(name, ok=True)
    stale = cache.get(key, STALE_MAX)
    if stale is not None:
        try:
            return parse(stale[0]), SourceStatus(
                name, ok=False, error=error, age_seconds=stale[1], stale=True
            )
        except SourceDataError:
            pass
    return None, SourceStatus(name, ok=False, error=error)


async def _slurm(timeout: float) -> tuple[dict[str, Any], SourceStatus]:
    if not slurm.available("scontrol") and not slurm.available("sinfo"):
        return {}, SourceStatus(
            "slurm", ok=False, skipped=True, error="SLURM commands not found here"
        )

    async def call(args: tuple[str, ...]) -> str | slurm.SlurmError:
        try:
            return await asyncio.to_thread(slurm.run, args, timeout)
        except slurm.SlurmError as exc:
            return exc

    commands = {
        "sinfo": (slurm.SINFO_ARGS, slurm.parse_sinfo),
        "scontrol show node": (slurm.NODES_ARGS, slurm.parse_nodes),
        "scontrol show reservation": (slurm.RESERVATIONS_ARGS, slurm.parse_reservations),
    }
    outputs = await asyncio.gather(*(call(args) for args, _ in commands.values()))
    parsed: dict[str, Any] = {}
    results: list[tuple[str, str | None]] = []
    for (label, (_, parse)), out in zip(commands.items(), outputs, strict=True):
        if isinstance(out, Exception):
            results.append((label, str(out)))
            continue
        try:
            parsed[label] = parse(out)
        except ValueError as exc:
            results.append((label, f"unreadable output: {exc}"))
            continue
        results.append((label, None))
    result: dict[str, Any] = {}
    if "sinfo" in parsed or "scontrol show node" in parsed:
        result["nodes"] = slurm.merge_nodes(parsed.get("sinfo"), parsed.get("scontrol show node"))
    if "scontrol show reservation" in parsed:
        result["reservations"] = parsed["scontrol show reservation"]
    errors = [f"{label}: {err}" for label, err in results if err]
    status = SourceStatus(
        "slurm",
        ok=not errors,
        error="; ".join(errors) or None,
        commands=tuple(results),
        partial=bool(errors) and bool(parsed),
    )
    return result, status


def _parse_checks(body: bytes) -> tuple[list[Check], list[str]]:
    return parse_checks(_decode_json(body))


def _parse_machines(body: bytes) -> list[Machine]:
    return parse_machine_info(_decode_json(body))


def _fetcher(
    cfg: ClusterConfig, client: Any, cache: ResponseCache, refresh: bool
) -> Callable[..., Awaitable[tuple[Any, SourceStatus]]]:
    """`fetch_source` with this client and cache, and the config's timeout and TTL."""
    return partial(
        fetch_source,
        client=client,
        cache=cache,
        timeout=cfg.source_timeout,
        ttl=cfg.cache_ttl,
        refresh=refresh,
    )


async def _collect(cfg: ClusterConfig, refresh: bool, cache: ResponseCache) -> Collected:
    from watcloud.core.http import make_async_client

    out = Collected()
    key_problem: str | None = None
    try:
        api_key = read_secret(API_KEY_ENV, cfg.healthchecks_api_key_file)
    except ConfigError as exc:  # e.g. the site's key file is not readable by this user
        api_key, key_problem = None, str(exc)
    checks_url = cfg.healthchecks_url.rstrip("/") + CHECKS_PATH
    async with make_async_client("cluster", timeout=cfg.source_timeout, connect_retries=0) as c:
        fetch = _fetcher(cfg, c, cache, refresh)
        machine_task = fetch("machine-info", cfg.machine_info_url, _parse_machines)
        checks_task = (
            fetch(
                "healthchecks",
                checks_url,
                _parse_checks,
                headers={"X-Api-Key": api_key},
                secret=api_key,
            )
            if api_key
            else _badges(cfg, fetch)
            if cfg.healthchecks_badges
            else _skipped("healthchecks", key_problem or missing_key_message())
        )
        slurm_task = (
            _slurm(cfg.source_timeout)
            if cfg.use_slurm
            else _skipped("slurm", "disabled in config (use_slurm: false)")
        )
        (machines, m_status), (checks, c_status), (slurm_data, s_status) = await asyncio.gather(
            machine_task, checks_task, slurm_task
        )
    out.machines = machines or []
    if checks is not None:
        out.checks, notes = checks
        out.notes += notes
    if slurm_data is not None:
        out.nodes = slurm_data.get("nodes")
        out.reservations = slurm_data.get("reservations")
    out.sources = [m_status, c_status, s_status]
    return out


async def _badges(
    cfg: ClusterConfig, fetch: Callable[..., Awaitable[tuple[Any, SourceStatus]]]
) -> tuple[tuple[list[Check], list[str]] | None, SourceStatus]:
    """Health from the public status badges, one per host, fetched together (no key needed)."""
    hosts = sorted(cfg.healthchecks_badges)
    got = await asyncio.gather(
        *(fetch(f"badge {h}", cfg.healthchecks_badges[h], partial(_parse_badge, h)) for h in hosts)
    )
    checks: list[Check] = []
    results: list[tuple[str, str | None]] = []
    for host, (value, status) in zip(hosts, got, strict=True):
        if value is not None:
            checks += value
        results.append((f"badge {host}", None if status.ok else status.error))
    errors = [f"{label}: {err}" for label, err in results if err]
    answered = any(v is not None for v, _ in got)
    status = SourceStatus(
        "healthchecks",
        ok=not errors,
        error="; ".join(errors) or None,
        commands=tuple(results),
        partial=bool(errors) and answered,
        via="public badges",
    )
    return ((checks, []) if answered else None), status


def _parse_badge(host: str, body: bytes) -> list[Check]:
    return parse_badge(host, _decode_json(body))


def missing_key_message() -> str:
    """One line: what is missing for health checks, and where it can come from."""
    site = site_config_path()
    where = (
        f"{site} sets no healthchecks_api_key_file"
        if site.is_file()
        else f"no site config at {site}"
    )
    return f"needs a read-only API key: set {API_KEY_ENV} or healthchecks_api_key_file ({where})"


async def _skipped(name: str, why: str) -> tuple[None, SourceStatus]:
    return None, SourceStatus(name, ok=False, skipped=True, error=why)


def collect(
    cfg: ClusterConfig, *, refresh: bool = False, cache: ResponseCache | None = None
) -> Collected:
    """Fetch every source concurrently; never raises for a failing source."""
    cache = cache or ResponseCache(cache_dir() / "responses")
    return asyncio.run(_collect(cfg, refresh, cache))


def fetch_machine_info(cfg: ClusterConfig, *, cache: ResponseCache | None = None) -> Any:
    """machine-info.json as parsed JSON (cached like `status`); raises SourceError on failure."""
    cache = cache or ResponseCache(cache_dir() / "responses")

    async def run() -> tuple[Any, SourceStatus]:
        from watcloud.core.http import make_async_client

        async with make_async_client("cluster", timeout=cfg.source_timeout) as client:
            fetch = _fetcher(cfg, client, cache, refresh=False)
            return await fetch("machine-info", cfg.machine_info_url, _machine_info_json)

    data, status = asyncio.run(run())
    if data is None:
        raise SourceError(status.error or "machine-info unavailable")
    return data


def _machine_info_json(body: bytes) -> Any:
    data = _decode_json(body)
    parse_machine_info(data)  # validate the shape
    return data
