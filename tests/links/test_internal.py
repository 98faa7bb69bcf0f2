"""The internal checker on a fixture Next.js export (tests/links/site, basePath /docs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from watcloud.core.errors import InputError
from watcloud.links.internal import check_site
from watcloud.links.report import internal_annotations, internal_markdown

SITE = Path(__file__).parent / "site"

# Every broken link of the fixture: target -> (reason, [(page, line)]).
EXPECTED = {
    "/docs/_next/static/chunks/missing-chunk.js": ("not-found", [("index.html", 9)]),
    "/docs/about#no-such-section": ("fragment-not-found", [("about.html", 11), ("index.html", 28)]),
    "/docs/guide/setup#step%202": ("fragment-not-found", [("index.html", 32)]),
    "/docs/images/logo@2x.png": ("not-found", [("index.html", 39)]),
    "/docs/images/missing.png": ("not-found", [("index.html", 38)]),
    "/docs/index.html#nowhere": ("fragment-not-found", [("index.html", 24)]),
    "/docs/missing-page": ("not-found", [("about.html", 10), ("index.html", 33)]),
    "/elsewhere/page": ("outside-base-path", [("index.html", 34)]),
    "/escape": ("outside-base-path", [("guide/index.html", 8)]),
}


def summary(report: Any) -> dict[str, tuple[str, list[tuple[str, int]]]]:
    return {b.target: (b.reason, [(o.page, o.line) for o in b.occurrences]) for b in report.broken}


@pytest.mark.parametrize("jobs", [1, 2])
def test_fixture_site_every_broken_link_and_nothing_else(jobs: int) -> None:
    report = check_site(SITE, base_path="/docs", jobs=jobs)
    assert summary(report) == EXPECTED
    assert report.pages == 7
    assert [(d.page, d.id, d.lines) for d in report.duplicate_ids] == [
        ("about.html", "dup", [8, 9])
    ]
    assert not report.ok


def locators(report: Any) -> list[tuple[str, str, int, str]]:
    return [(b.target, o.page, o.line, o.xpath) for b in report.broken for o in b.occurrences]


@pytest.mark.parametrize("budget", [0, None])
def test_locators_same_whichever_process_and_budget(
    budget: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XPaths of links found broken at the end come from the process that kept the page
    parsed, or were computed at once when the page was over the memory budget."""
    import watcloud.links.internal as internal

    if budget is not None:
        monkeypatch.setattr(internal, "KEEP_BUDGET", budget)
    one = locators(check_site(SITE, base_path="/docs", jobs=1))
    two = locators(check_site(SITE, base_path="/docs", jobs=3))
    assert one == two
    assert all(xp.startswith("/html/") for *_, xp in one)
    assert ("/docs/about#no-such-section", "index.html", 28, "/html/body/main/p[2]/a[4]") in one
    assert internal._KEPT == {}


def test_locators_are_xpaths() -> None:
    report = check_site(SITE, base_path="/docs", jobs=1)
    by_target = {b.target: b for b in report.broken}
    occ = by_target["/docs/index.html#nowhere"].occurrences[0]
    assert occ.xpath == "/html/body/main/p[1]/a[4]"
    assert occ.attr == "a@href" and occ.href == "#nowhere"


def test_without_base_path_every_absolute_docs_link_is_missing() -> None:
    report = check_site(SITE, jobs=1)
    assert "/docs/about" in {b.target for b in report.broken}


def test_ignore_patterns_and_no_fragments() -> None:
    report = check_site(SITE, base_path="/docs", ignore=[r"missing", r"^/elsewhere"], jobs=1)
    assert set(summary(report)) == set(EXPECTED) - {
        "/docs/missing-page",
        "/docs/images/missing.png",
        "/docs/_next/static/chunks/missing-chunk.js",
        "/elsewhere/page",
    }
    report = check_site(SITE, base_path="/docs", check_fragments=False, jobs=1)
    assert all(b.reason != "fragment-not-found" for b in report.broken)


def test_a_fixed_site_passes(tmp_path: Path) -> None:
    site = tmp_path / "out"
    (site / "guide").mkdir(parents=True)
    (site / "index.html").write_text(
        '<a href="/guide/#a">g</a><a href="guide/">g2</a><div id="me"></div><a href="#me">m</a>'
    )
    (site / "guide" / "index.html").write_text('<h1 id="a">A</h1><a href="..">up</a>')
    report = check_site(site, jobs=1)
    assert report.ok and report.broken == [] and report.fragments_checked == 2


def nextjs_export(root: Path, base: str, *, favicon: str) -> Path:
    """A small export in the shape `next build` writes under a basePath: every page's head has
    the resource hints Next.js emits (`preconnect` to "/", the site's own origin) and a favicon."""
    head = (
        '<head><link rel="preconnect" href="/">'
        '<link rel="dns-prefetch" href="//cdn.example.net">'
        '<link rel="preconnect dns-prefetch" href="https://fonts.example.org">'
        f'<link rel="icon" href="{favicon}">'
        f'<link rel="preload" as="script" href="{base}/_next/static/chunks/main.js"></head>'
    )
    (root / "docs").mkdir(parents=True)
    (root / "_next/static/chunks").mkdir(parents=True)
    (root / "_next/static/chunks/main.js").write_text("")
    (root / "favicon.ico").write_bytes(b"\0")
    pages = {
        "index.html": f'<a href="{base}/docs/">docs</a><a href="{base}/about#team">team</a>',
        "about.html": f'<h2 id="team">Team</h2><a href="{base}/">home</a>',
        "docs/index.html": f'<a href="{base}/about">about</a><a href="../">up</a>',
    }
    for rel, body in pages.items():
        (root / rel).write_text(f"<!DOCTYPE html><html>{head}<body>{body}</body></html>")
    return root


def test_nextjs_base_path_export_resource_hints_are_not_links(tmp_path: Path) -> None:
    """`<link rel="preconnect" href="/">` names an origin: under a basePath it is no broken
    link (it was reported as `/ outside-base-path` on every page)."""
    site = nextjs_export(tmp_path / "out", "/wc", favicon="/wc/favicon.ico")
    report = check_site(site, base_path="/wc", jobs=1)
    assert report.broken == [] and report.ok
    assert report.pages == 3 and report.fragments_checked == 1


def test_nextjs_favicon_outside_the_base_path_is_caught(tmp_path: Path) -> None:
    """The export's favicon written without the basePath (`/favicon.ico` on a `/wc` site): the
    browser asks the host's root, where this site is not."""
    site = nextjs_export(tmp_path / "out", "/wc", favicon="/favicon.ico")
    report = check_site(site, base_path="/wc", jobs=1)
    pages = [("about.html", 1), ("docs/index.html", 1), ("index.html", 1)]
    assert summary(report) == {"/favicon.ico": ("outside-base-path", pages)}


def test_trailing_slash_export(tmp_path: Path) -> None:
    site = tmp_path / "out"
    (site / "about").mkdir(parents=True)
    (site / "index.html").write_text('<a href="/about/#t">a</a><a href="/about#x">b</a>')
    (site / "about" / "index.html").write_text('<p id="t"></p><a href="../#top">home</a>')
    report = check_site(site, jobs=1)
    assert summary(report) == {"/about#x": ("fragment-not-found", [("index.html", 1)])}


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        check_site(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no \.html pages"):
        check_site(tmp_path)
    (tmp_path / "a.html").write_text("<a href='x'>")
    with pytest.raises(InputError, match="ignore pattern"):
        check_site(tmp_path, ignore=["("])


@pytest.mark.parametrize("jobs", [1, 2])
def test_unreadable_page_is_a_one_line_error(tmp_path: Path, jobs: int) -> None:
    for i in range(4):
        (tmp_path / f"p{i}.html").write_text("<a href='p0.html'>x</a>" * 50)
    (tmp_path / "dangling.html").symlink_to(tmp_path / "nowhere.html")
    with pytest.raises(InputError, match=r"dangling\.html: cannot read page"):
        check_site(tmp_path, jobs=jobs)


def test_annotations_and_markdown() -> None:
    import io

    report = check_site(SITE, base_path="/docs", jobs=1)
    buf = io.StringIO()
    internal_annotations(report, buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == sum(len(v[1]) for v in EXPECTED.values())
    assert any(
        ln.startswith(f"::error file={SITE}/about.html,line=10,title=broken link (not-found)::")
        for ln in lines
    )
    md = internal_markdown(report)
    assert "**11 broken link(s) to 9 target(s)**" in md
    assert "| `/docs/missing-page` | not-found | `about.html:10`, `index.html:33` |" in md


# ---- end to end: the installed command ----------------------------------------------------


def test_cli_text_groups_by_target_and_exits_1(run_watcloud: Any) -> None:
    proc = run_watcloud("links", "internal", str(SITE), "--base-path", "/docs")
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    block = out.split("BROKEN /docs/missing-page", 1)[1].split("BROKEN", 1)[0]
    assert "about.html:10" in block and "index.html:33" in block
    assert "11 broken link(s) to 9 target(s)" in out


def test_cli_json_annotations_markdown(run_watcloud: Any, tmp_path: Path) -> None:
    md = tmp_path / "summary.md"
    proc = run_watcloud(
        "links", "internal", str(SITE), "--base-path", "/docs", "-o", "json", "--markdown", str(md)
    )
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["broken_links"] == 11 and data["pages"] == 7
    assert {b["target"] for b in data["broken"]} == set(EXPECTED)
    assert md.read_text().startswith("## Internal links")
    proc = run_watcloud(
        "links", "internal", str(SITE), "--base-path", "/docs", "--github-annotations"
    )
    assert proc.stdout.count("::error file=") == 11


def test_cli_config_file(run_watcloud: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "links.yaml"
    cfg.write_text("internal:\n  base_path: /docs\n  ignore: ['.']\n")
    proc = run_watcloud("links", "internal", str(SITE), "--config", str(cfg))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok: 7 pages" in proc.stdout


def test_cli_clean_site_exits_0(run_watcloud: Any, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    for page in site.rglob("*.html"):
        page.write_text("<p id='a'><a href='#a'>ok</a></p>")
    proc = run_watcloud("links", "internal", str(site))
    assert proc.returncode == 0 and "ok: 7 pages" in proc.stdout


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["/nonexistent/site"], None, "not a directory"),
        ([], "internal:\n  bsae_path: /docs\n", "key 'internal.bsae_path': unknown key"),
        ([], "internal: [1, 2\n", "invalid YAML"),
        ([], "internal:\n  jobs: -1\n", "key 'internal.jobs'"),
        ([], "internal:\n  ignore: ['(']\n", "ignore pattern"),
    ],
)
def test_cli_bad_input_one_line_exit_2(
    run_watcloud: Any, tmp_path: Path, args: list[str], config: str | None, message: str
) -> None:
    extra = []
    if config is not None:
        (tmp_path / "c.yaml").write_text(config)
        extra = ["--config", str(tmp_path / "c.yaml")]
    proc = run_watcloud("links", "internal", *(args or [str(SITE)]), *extra)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
