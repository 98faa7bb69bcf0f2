"""The external checker against real HTTP servers on loopback and a GitHub API stand-in."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary, require_root, watcloud_exe
from tests.links.conftest import GH_TOKEN, Site
from watcloud.links.classify import Status, Verdict
from watcloud.links.config import ExternalConfig, HostConfig
from watcloud.links.external import (
    Checker,
    LinkResult,
    NoDnsError,
    _transport_detail,
    check_external,
    default_resolver,
)
from watcloud.links.internal import Where

pytestmark = pytest.mark.integration


class FakeSleep:
    """Records every delay and returns at once (no wall-clock waits in tests)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def cfg(**kw: Any) -> ExternalConfig:
    base: dict[str, Any] = {"timeout": 0.5, "attempts": 3, "backoff": 0.1, "per_host_interval": 0}
    base.update(kw)
    return ExternalConfig(**base)


def run(urls: list[str], conf: ExternalConfig | None = None, **kw: Any) -> dict[str, LinkResult]:
    checker = Checker(conf or cfg(), sleep=kw.pop("sleep", FakeSleep()), **kw)
    results = asyncio.run(checker.check_all({u.split("#")[0]: _frags(u, urls) for u in urls}))
    return {r.url: r for r in results}


def _frags(url: str, urls: list[str]) -> set[str]:
    bare = url.split("#")[0]
    return {u.split("#", 1)[1] for u in urls if u.startswith(bare + "#")}


def test_statuses(web: Site) -> None:
    paths = ["/ok", "/gone-404", "/gone-410", "/login", "/members", "/loop", "/temporary"]
    res = run([web.url(p) for p in paths])
    got = {p: (res[web.url(p)].status, res[web.url(p)].http_status) for p in paths}
    assert got == {
        "/ok": (Status.ok, 200),
        "/gone-404": (Status.broken, 404),
        "/gone-410": (Status.broken, 410),
        "/login": (Status.auth, 401),
        "/members": (Status.auth, 403),
        "/loop": (Status.broken, None),
        "/temporary": (Status.ok, 200),
    }
    assert res[web.url("/loop")].detail == "too many redirects"
    assert res[web.url("/temporary")].redirect_to is None
    # HEAD first; a refused HEAD (403) is retried with GET
    assert ("HEAD", "/ok") in web.methods and ("GET", "/ok") not in web.methods
    assert ("GET", "/members") in web.methods


def test_permanent_redirects_give_the_new_url(web: Site) -> None:
    res = run([web.url("/moved"), web.url("/moved308")])
    for path in ("/moved", "/moved308"):
        r = res[web.url(path)]
        assert r.status is Status.ok
        assert r.redirect_to == web.url("/ok")
        assert "permanently redirected to" in r.detail


def test_head_405_then_get(web: Site) -> None:
    r = run([web.url("/no-head")])[web.url("/no-head")]
    assert r.status is Status.ok
    assert web.methods == [("HEAD", "/no-head"), ("GET", "/no-head")]


def test_429_honours_retry_after(web: Site) -> None:
    sleep = FakeSleep()
    r = run([web.url("/ratelimited")], sleep=sleep)[web.url("/ratelimited")]
    assert r.status is Status.ok and r.attempts == 2
    assert sleep.delays == [2.0]
    long = run([web.url("/ratelimited-long")], cfg(max_retry_after=60))[
        web.url("/ratelimited-long")
    ]
    assert long.status is Status.transient and long.http_status == 429
    assert "beyond max_retry_after" in long.detail
    assert web.hits["/ratelimited-long"] == 1


def test_503_then_200_and_persistent_503(web: Site) -> None:
    sleep = FakeSleep()
    res = run([web.url("/flaky"), web.url("/down")], cfg(attempts=3, backoff=0.4), sleep=sleep)
    assert res[web.url("/flaky")].status is Status.ok
    assert web.hits["/flaky"] == 2
    down = res[web.url("/down")]
    assert (down.status, down.http_status, down.attempts) == (Status.transient, 503, 3)
    assert web.hits["/down"] == 3
    # backoff doubles: 0.4 then 0.8 (+-25% jitter) before the 2nd and 3rd try of /down
    assert len(sleep.delays) == 3
    assert sorted(sleep.delays)[-1] >= 0.6 and min(sleep.delays) >= 0.3


def test_slow_response_times_out_as_transient(web: Site) -> None:
    r = run([web.url("/slow")], cfg(timeout=0.2, attempts=2))[web.url("/slow")]
    assert (r.status, r.detail, r.attempts) == (Status.transient, "timed out", 2)


def test_connection_refused_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    r = run([url], cfg(attempts=2, timeout=10))[url]  # refused at once; 0.5 s could time out
    assert r.status is Status.transient and r.detail.startswith("connection failed"), r.detail


def test_unknown_host_is_broken() -> None:
    async def resolver(host: str) -> tuple[Status, str] | None:
        return (Status.broken, f"unknown host {host}") if host.endswith(".invalid") else None

    url = "https://no-such-host.invalid/page"
    r = run([url], resolver=resolver)[url]
    assert (r.status, r.detail) == (Status.broken, "unknown host no-such-host.invalid")
    err = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    wrapped = RuntimeError("connect failed")
    wrapped.__cause__ = err
    assert _transport_detail(wrapped) == "unknown host"
    assert asyncio.run(default_resolver("127.0.0.1")) is None
    assert asyncio.run(default_resolver("localhost")) is None


def test_per_host_concurrency_limit(web: Site) -> None:
    urls = [web.url(f"/concurrent/{i}") for i in range(6)]
    res = run(urls, cfg(per_host_concurrency=2))
    assert all(r.status is Status.ok for r in res.values())
    assert web.max_inflight == 2


def test_per_host_rate_limit_spaces_request_starts(web: Site) -> None:
    sleep = FakeSleep()
    run(
        [web.url(f"/concurrent/{i}") for i in range(3)],
        cfg(per_host_concurrency=3, per_host_interval=5.0),
        sleep=sleep,
    )
    waits = sorted(sleep.delays)
    assert len(waits) == 2 and waits[0] > 4.5 and waits[1] > 9.5


def test_per_host_headers_from_config_and_env(web: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMBER_TOKEN", "s3cret")
    conf = cfg(
        hosts={
            "127.0.0.1": HostConfig(
                headers={"X-Team": "infra"}, headers_from_env={"X-Member-Token": "MEMBER_TOKEN"}
            )
        }
    )
    r = run([web.url("/members")], conf)[web.url("/members")]
    assert r.status is Status.ok
    assert web.headers["/members"]["x-team"] == "infra"


def test_private_prefix_without_credentials_is_unverified(web: Site) -> None:
    prefix = web.url("/members")
    conf = cfg(private_prefixes=[prefix, "https://github.com/WATonomous/infra-config"])
    urls = [web.url("/members/roster"), "https://github.com/WATonomous/infra-config/issues/5"]
    res = run(urls, conf)
    for url in urls:
        assert (res[url].status, res[url].detail) == (
            Status.unverified,
            "unverified: login required",
        )
    assert web.hits == {}


def test_fragments_on_external_pages(web: Site) -> None:
    urls = [
        web.url("/ok#intro"),
        web.url("/ok#old-anchor"),
        web.url("/ok#caf%C3%A9"),
        web.url("/ok#missing"),
        web.url("/gh-readme#install"),
        web.url("/gh-readme#L10-L20"),
        web.url("/gh-readme#nope"),
    ]
    conf = cfg(check_fragments=True, github_hosts=["127.0.0.1"])
    res = run(urls, conf)
    assert res[web.url("/ok")].status is Status.ok
    bad = {u for u, r in res.items() if r.status is Status.broken}
    assert bad == {web.url("/ok#missing"), web.url("/gh-readme#nope")}
    assert web.hits["/ok"] == 1  # one GET per page, however many fragments
    assert ("GET", "/ok") in web.methods


# ---- GitHub API stand-in ------------------------------------------------------------------

GH = "https://github.com/WATonomous"


def gh_run(api: Site, urls: list[str], token: str | None = GH_TOKEN, **kw: Any) -> dict[str, Any]:
    return run(urls, cfg(**kw), github_token=token, github_api=api.base)


def test_github_urls_through_the_api(github_api: Site) -> None:
    urls = {
        f"{GH}/infra-config": Status.ok,  # private: only visible with the token
        f"{GH}/infra-config/blob/main/README.md": Status.ok,
        f"{GH}/infra-config/blob/feature/new-docs/docs/setup.md": Status.ok,  # ref with '/'
        f"{GH}/infra-config/tree/main": Status.ok,
        f"{GH}/infra-config/issues/5": Status.ok,
        f"{GH}/infra-config/pull/7": Status.ok,
        f"{GH}/infra-config/issues/999": Status.broken,
        f"{GH}/infra-config/blob/main/MISSING.md": Status.broken,
        f"{GH}/no-such-repo": Status.broken,
        GH: Status.ok,
    }
    res = gh_run(github_api, list(urls))
    assert {u: r.status for u, r in res.items()} == urls
    assert all(r.via == "github-api" for r in res.values())
    assert res[f"{GH}/infra-config/issues/999"].detail == "issue not found (GitHub API 404)"
    seen = github_api.headers["/repos/WATonomous/infra-config"]
    assert seen["authorization"] == f"Bearer {GH_TOKEN}"
    assert seen["accept"] == "application/vnd.github+json"
    assert seen["x-github-api-version"] == "2022-11-28"


def test_github_bad_token_is_auth_not_broken(github_api: Site) -> None:
    url = f"{GH}/infra-config"
    r = gh_run(github_api, [url], token="wrong")[url]
    assert (r.status, r.http_status) == (Status.auth, 401)
    assert "GitHub token rejected" in r.detail


def test_github_rate_limit_waits_for_reset(github_api: Site) -> None:
    url = f"{GH}/rate-limited"
    sleep = FakeSleep()
    checker = Checker(cfg(), github_token=GH_TOKEN, github_api=github_api.base, sleep=sleep)
    (r,) = asyncio.run(checker.check_all({url: set()}))
    assert r.status is Status.ok and github_api.hits["/repos/WATonomous/rate-limited"] == 2
    assert len(sleep.delays) == 1 and 0 <= sleep.delays[0] <= 2
    url = f"{GH}/exhausted"
    r = gh_run(github_api, [url], max_retry_after=60)[url]
    assert r.status is Status.transient and "rate limit exhausted until" in r.detail


# ---- the grace period across runs -----------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t


def where(url: str) -> dict[str, list[Where]]:
    return {url: [Where("index.html", 3, "/html/body/a", "a@href", url)]}


def test_grace_period_across_runs(web: Site, tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    clock = Clock()
    conf = cfg(grace_days=3, fail_after_runs=None, attempts=1)
    url = web.url("/gone-404")

    def once() -> Any:
        rep = check_external(where(url), conf, state_path=db, clock=clock, sleep=FakeSleep())
        return rep.entries[0]

    first = once()
    assert (first.status, first.verdict, first.failures) == (Status.broken, Verdict.warning, 1)
    assert "fails the build in 72 h" in first.detail
    clock.t += timedelta(days=2)
    assert once().verdict is Verdict.warning
    clock.t += timedelta(days=1, hours=1)
    last = once()
    assert (last.verdict, last.failures) == (Verdict.fail, 3)
    assert last.first_failure == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    # the link is fixed: state resets
    ok_url = web.url("/ok")
    rep = check_external(where(ok_url), conf, state_path=db, clock=clock, sleep=FakeSleep())
    assert rep.ok and rep.entries[0].verdict is Verdict.ok


def test_fail_after_n_consecutive_runs(web: Site, tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    clock = Clock()
    conf = cfg(grace_days=30, fail_after_runs=3, attempts=1)
    url = web.url("/down")
    verdicts = []
    for _ in range(3):
        rep = check_external(where(url), conf, state_path=db, clock=clock, sleep=FakeSleep())
        verdicts.append(rep.entries[0].verdict)
        clock.t += timedelta(minutes=10)
    assert verdicts == [Verdict.warning, Verdict.warning, Verdict.fail]
    assert not rep.ok


def test_auth_and_unverified_never_fail(web: Site, tmp_path: Path) -> None:
    conf = cfg(grace_days=0, private_prefixes=["https://github.com/WATonomous/"])
    targets = {**where(web.url("/login")), **where("https://github.com/WATonomous/secret")}
    rep = check_external(targets, conf, state_path=tmp_path / "s.db", clock=Clock())
    assert rep.ok and {e.verdict for e in rep.entries} == {Verdict.unverified}


def test_a_machine_without_dns_records_nothing(tmp_path: Path) -> None:
    """All names failing at once is the resolver: a one-line error, the state is untouched."""

    async def no_dns(host: str) -> tuple[Status, str] | None:
        return Status.broken, f"unknown host {host}"

    hosts = ["docs.example.org", "github.com", "pypi.org"]
    targets = {k: v for h in hosts for k, v in where(f"https://{h}/page").items()}
    db = tmp_path / "state.sqlite3"
    conf = cfg(grace_days=3, attempts=1)
    with pytest.raises(NoDnsError, match="none of the 3 hosts could be resolved") as exc:
        check_external(targets, conf, state_path=db, clock=Clock(), resolver=no_dns)
    assert "nothing was recorded" in str(exc.value) and "\n" not in str(exc.value)
    assert not db.exists()

    # one name that resolves is enough to trust the resolver: the others are broken links
    async def docs_resolves(host: str) -> tuple[Status, str] | None:
        return None if host == "docs.example.org" else (Status.broken, f"unknown host {host}")

    rep = check_external(
        targets,
        cfg(grace_days=3, attempts=1, timeout=0.5),
        state_path=db,
        clock=Clock(),
        resolver=docs_resolves,
        sleep=FakeSleep(),
    )
    broken = {e.url for e in rep.entries if e.status is Status.broken}
    assert {"https://github.com/page", "https://pypi.org/page"} <= broken


def test_name_resolution_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    """A resolver that never answers costs `timeout`, once per host (not the resolver's own
    5 s x attempts), and is a transient failure naming the bound."""
    calls: list[str] = []

    async def hangs(host: str) -> tuple[Status, str] | None:
        calls.append(host)
        await asyncio.sleep(3600)
        return None

    got = run(
        ["https://slow.example/a", "https://slow.example/b"], cfg(timeout=0.2), resolver=hangs
    )
    assert calls == ["slow.example"]
    assert {r.status for r in got.values()} == {Status.transient}
    assert got["https://slow.example/a"].detail == (
        "cannot resolve slow.example: no answer within 0.2 s"
    )


def test_default_resolver_does_not_hold_up_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo stuck for good in its thread: the lookup gives up at the timeout and
    `asyncio.run` returns (the loop's default executor would join the stuck thread)."""
    import threading

    release = threading.Event()

    def stuck(*args: Any, **kw: Any) -> Any:
        release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    try:
        got = run(["https://stuck.example/"], cfg(timeout=0.2))
    finally:
        release.set()
    assert got["https://stuck.example/"].detail.endswith("no answer within 0.2 s")


def test_fewer_hosts_than_the_threshold_are_believed(tmp_path: Path) -> None:
    async def no_dns(host: str) -> tuple[Status, str] | None:
        return Status.broken, f"unknown host {host}"

    targets = {**where("https://a.invalid/"), **where("https://b.invalid/")}
    rep = check_external(
        targets, cfg(attempts=1), state_path=tmp_path / "s.db", clock=Clock(), resolver=no_dns
    )
    assert [e.status for e in rep.entries] == [Status.broken, Status.broken]


# ---- end to end ---------------------------------------------------------------------------


def test_cli_external_site_and_urls(run_watcloud: Any, web: Site, tmp_path: Path) -> None:
    site = tmp_path / "out"
    site.mkdir()
    (site / "index.html").write_text(
        f'<a href="{web.url("/ok")}">ok</a>\n<a href="{web.url("/gone-410")}">gone</a>\n'
        f'<a href="{web.url("/moved")}">moved</a>\n<a href="/local">internal</a>\n'
        f'<link rel="preconnect" href="{web.url("/never")}">'
    )
    conf = tmp_path / "links.yaml"
    conf.write_text("external:\n  grace_days: 3\n  attempts: 1\n")
    state = tmp_path / "state.db"
    args = [
        "links",
        "external",
        str(site),
        web.url("/gone-404"),
        "--state",
        str(state),
        "--config",
        str(conf),
        "-o",
        "json",
    ]
    proc = run_watcloud(*args)
    assert proc.returncode == 0, proc.stderr  # failures within the grace period: warnings
    data = json.loads(proc.stdout)
    by_url = {e["url"]: e for e in data["links"]}
    assert set(by_url) == {web.url(p) for p in ("/ok", "/gone-410", "/moved", "/gone-404")}
    assert by_url[web.url("/gone-410")]["verdict"] == "warning"
    assert by_url[web.url("/gone-410")]["pages"] == [
        {"page": "index.html", "line": 2, "xpath": "/html/body/a[2]"}
    ]
    assert by_url[web.url("/moved")]["redirect_to"] == web.url("/ok")
    assert web.hits["/never"] == 0
    conf.write_text("external:\n  grace_days: 0\n  attempts: 1\n")
    proc = run_watcloud(*args[:-2], "--github-annotations", "--markdown", str(tmp_path / "s.md"))
    assert proc.returncode == 1
    assert f"::error file={site}/index.html,line=2,title=external link broken::" in proc.stdout
    assert "| ❌ |" in (tmp_path / "s.md").read_text()


def test_cli_external_bad_input(run_watcloud: Any, tmp_path: Path) -> None:
    proc = run_watcloud("links", "external", "not-a-url-or-dir")
    assert proc.returncode == 2 and "neither a directory nor an http(s) URL" in proc.stderr
    bad = tmp_path / "c.yaml"
    bad.write_text("external:\n  grace_days: soon\n")
    proc = run_watcloud("links", "external", "http://127.0.0.1:9/", "--config", str(bad))
    assert proc.returncode == 2 and "key 'external.grace_days'" in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.fixture
def no_dns_runner(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Run `watcloud` in a mount namespace whose /etc/resolv.conf names a resolver on loopback:
    'refused' (nothing listens: a runner with no resolver at all) or 'silent' (a socket that
    reads every query and never answers: a resolver that hangs)."""
    require_root()
    unshare, _ = require_binary("unshare", "mount")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.8.8.8", 53))
    confs = {}
    for kind, addr in (("refused", "127.8.8.9"), ("silent", "127.8.8.8")):
        confs[kind] = tmp_path / f"resolv-{kind}.conf"
        confs[kind].write_text(f"nameserver {addr}\n")

    def run_cli(kind: str, *args: str) -> subprocess.CompletedProcess[str]:
        script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
        cmd = [unshare, "-m", "sh", "-c", script, str(confs[kind]), watcloud_exe(), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    try:
        yield run_cli
    finally:
        silent.close()


@pytest.mark.root
@pytest.mark.parametrize("resolver", ["refused", "silent"])
def test_cli_runner_without_dns_json_and_skip(
    no_dns_runner: Callable[..., Any], tmp_path: Path, resolver: str
) -> None:
    """A CI runner without DNS: `-o json` prints a valid document with the reason (it printed
    nothing), exit 2 by default, exit 0 with a warning under `--if-no-dns skip`; no state."""
    conf = tmp_path / "links.yaml"
    conf.write_text("external:\n  timeout: 1\n  attempts: 1\n")
    state = tmp_path / "state.db"
    urls = [f"https://{h}/page" for h in ("docs.example.org", "pypi.org", "github.io", "npmjs.com")]
    base = ["links", "external", *urls, "--config", str(conf), "--state", str(state), "-o", "json"]

    proc = no_dns_runner(resolver, *base)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["outcome"] == "no-dns" and doc["links"] == []
    assert doc["reason"].startswith("none of the 4 hosts could be resolved")
    assert sorted(doc["hosts_unresolved"]) == [
        "docs.example.org",
        "github.io",
        "npmjs.com",
        "pypi.org",
    ]
    assert doc["counts"] == {"ok": 0, "warning": 0, "fail": 0, "unverified": 0}
    assert proc.stderr.count("\n") == 1 and "no working DNS" in proc.stderr

    proc = no_dns_runner(resolver, *base, "--if-no-dns", "skip")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outcome"] == "no-dns-skipped"
    assert proc.stderr.startswith("warning: none of the 4 hosts") and "skip" in proc.stderr

    conf.write_text("external:\n  timeout: 1\n  attempts: 1\n  if_no_dns: skip\n")
    proc = no_dns_runner(resolver, *base[:-2])  # text output, skip from the config
    assert proc.returncode == 0 and proc.stdout == "" and "warning:" in proc.stderr
    assert not state.exists()


def test_cli_if_no_dns_bad_value(run_watcloud: Any) -> None:
    proc = run_watcloud("links", "external", "http://127.0.0.1:9/", "--if-no-dns", "maybe")
    assert proc.returncode == 2 and "--if-no-dns: expected 'fail' or 'skip'" in proc.stderr
