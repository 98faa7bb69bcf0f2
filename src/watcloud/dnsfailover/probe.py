"""Health probes: every host of every service in a round, concurrently, each bounded by its timeout.

HTTP(S) probes connect to the host's address but send the service's name as the `Host` header
and (for https) as the TLS SNI, so the ingress virtual host is what gets tested, and the
certificate is verified against the service's name. One hanging host never delays the others:
each probe is wrapped in `asyncio.wait_for(timeout)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import ssl
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from watcloud.core.http import make_async_client

if TYPE_CHECKING:
    import httpx

    from watcloud.dnsfailover.config import CheckConfig, ServiceConfig

BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class ProbeResult:
    service: str  # fqdn/type
    host: str
    ok: bool
    latency: float  # seconds until the answer (or the failure)
    detail: str  # "200 OK", "connect refused", "timeout after 2.0s", ...
    status: int | None = None


def _url(check: CheckConfig, host: str) -> str:
    addr = ipaddress.ip_address(host)
    shown = f"[{host}]" if addr.version == 6 else host
    return f"{check.type}://{shown}:{check.effective_port()}{check.path}"


def _ssl_context(check: CheckConfig) -> ssl.SSLContext:
    if not check.verify_tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=str(check.ca_file) if check.ca_file else None)


async def _probe_http(
    client: httpx.AsyncClient, service: ServiceConfig, host: str
) -> tuple[bool, str, int | None]:
    import httpx

    check = service.check
    extensions = {"sni_hostname": service.sni} if check.type == "https" else {}
    try:
        async with client.stream(
            "GET",
            _url(check, host),
            headers={"Host": service.host_header, "Connection": "close"},
            extensions=extensions,
            timeout=check.timeout,
        ) as resp:
            status = resp.status_code
            if not check.status_ok(status):
                return False, f"status {status} not expected", status
            if check.body_match is None:
                return True, f"{status} {resp.reason_phrase}".strip(), status
            body = b""
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) >= BODY_LIMIT:
                    break
            text = body[:BODY_LIMIT].decode(resp.encoding or "utf-8", errors="replace")
            if re.search(check.body_match, text) is None:
                return False, f"{status}: body does not match {check.body_match!r}", status
            return True, f"{status} {resp.reason_phrase}, body matches".strip(), status
    except httpx.ConnectError as exc:
        return False, _reason(exc, "connect failed"), None
    except httpx.TimeoutException:
        return False, f"timeout after {check.timeout:g}s", None
    except httpx.HTTPError as exc:
        return False, _reason(exc, type(exc).__name__), None
    except ssl.SSLError as exc:
        return False, f"TLS: {exc.reason or exc}", None


def _reason(exc: BaseException, default: str) -> str:
    seen: BaseException | None = exc
    for _ in range(8):  # the OS error hides under httpx's and anyio's wrappers
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, ssl.SSLError):
            return f"TLS: {seen.reason or seen}"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    text = str(exc) or default
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[0][:120]


async def _probe_tcp(service: ServiceConfig, host: str) -> tuple[bool, str, int | None]:
    try:
        _reader, writer = await asyncio.open_connection(host, service.check.effective_port())
    except ConnectionRefusedError:
        return False, "connection refused", None
    except OSError as exc:
        return False, exc.strerror or str(exc), None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True, "connected", None


async def probe_one(
    client: httpx.AsyncClient | None, service: ServiceConfig, host: str
) -> ProbeResult:
    """One probe, never longer than the check's timeout, never raising."""
    timeout = service.check.timeout
    start = time.perf_counter()
    try:
        if service.check.type == "tcp" or client is None:
            coro = _probe_tcp(service, host)
        else:
            coro = _probe_http(client, service, host)
        ok, detail, status = await asyncio.wait_for(coro, timeout)
    except TimeoutError:
        ok, detail, status = False, f"timeout after {timeout:g}s", None
    except Exception as exc:  # a probe must never take the round down
        ok, detail, status = False, f"probe error: {type(exc).__name__}: {exc}"[:160], None
    return ProbeResult(service.key, host, ok, time.perf_counter() - start, detail, status)


def _client_key(check: CheckConfig) -> tuple[bool, str | None]:
    return (check.verify_tls, str(check.ca_file) if check.ca_file else None)


async def probe_round(services: Sequence[ServiceConfig]) -> list[ProbeResult]:
    """Probe every host of every service concurrently; results in (service, host) order."""
    import httpx

    clients: dict[tuple[bool, str | None], httpx.AsyncClient] = {}
    try:
        jobs: list[Coroutine[Any, Any, ProbeResult]] = []
        for service in services:
            client = None
            if service.check.type != "tcp":
                key = _client_key(service.check)
                if key not in clients:
                    clients[key] = make_async_client(
                        "dnsfailover",
                        timeout=service.check.timeout,
                        connect_retries=0,  # a probe that needs a second try is a failure
                        verify=_ssl_context(service.check),
                        # No pool limit: 200 hosts means 200 connections at once.
                        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
                        follow_redirects=False,
                        trust_env=False,
                    )
                client = clients[key]
            jobs.extend(probe_one(client, service, host) for host in service.hosts)
        return list(await asyncio.gather(*jobs))
    finally:
        for c in clients.values():
            await c.aclose()
