"""Resolution of links to files of a Next.js static export (pure)."""

from __future__ import annotations

import pytest

from watcloud.links.extract import parse_srcset
from watcloud.links.resolve import (
    Kind,
    SiteIndex,
    base_url,
    fragment_ok,
    normalize_base_path,
    resolve,
)

FILES = frozenset(
    {
        "index.html",
        "about.html",
        "guide/index.html",
        "guide/setup.html",
        "404.html",
        "café.html",
        "_next/static/chunks/main.js",
        "favicon.ico",
        "empty-dir/readme.txt",
    }
)


def idx(bp: str = "", hosts: frozenset[str] = frozenset()) -> SiteIndex:
    return SiteIndex(FILES, normalize_base_path(bp), hosts)


@pytest.mark.parametrize(
    ("href", "target"),
    [
        ("/", "index.html"),
        ("/about", "about.html"),
        ("/about.html", "about.html"),
        ("/about/", "about.html"),
        ("/guide", "guide/index.html"),
        ("/guide/", "guide/index.html"),
        ("/guide/setup", "guide/setup.html"),
        ("/_next/static/chunks/main.js", "_next/static/chunks/main.js"),
        ("/favicon.ico?v=2", "favicon.ico"),
        ("/caf%C3%A9", "café.html"),
        ("/404", "404.html"),
        ("about", "about.html"),
        ("./guide/../about", "about.html"),
        ("", "guide/setup.html"),
    ],
)
def test_resolves_export_layout(href: str, target: str) -> None:
    res = resolve(
        idx(), "/guide/setup.html" if href == "" else "/index.html", href, "guide/setup.html"
    )
    assert res.kind is Kind.ok, res
    assert res.target == target


def test_relative_links_resolve_against_the_page_directory() -> None:
    res = resolve(idx(), "/guide/setup.html", "../about", "guide/setup.html")
    assert (res.kind, res.target) == (Kind.ok, "about.html")
    res = resolve(idx(), "/guide/setup.html", "setup", "guide/setup.html")
    assert (res.kind, res.target) == (Kind.ok, "guide/setup.html")
    res = resolve(idx(), "/guide/setup.html", "about", "guide/setup.html")
    assert (res.kind, res.url) == (Kind.not_found, "/guide/about")


@pytest.mark.parametrize(
    "href", ["/nope", "/guide/nope/", "/empty-dir", "/empty-dir/", "/_next/x.js"]
)
def test_missing_paths_are_not_found(href: str) -> None:
    res = resolve(idx(), "/index.html", href, "index.html")
    assert res.kind is Kind.not_found
    assert res.url == href


def test_base_path_is_required_on_absolute_paths() -> None:
    ix = idx("/docs/")
    assert ix.base_path == "/docs"
    assert resolve(ix, "/docs/index.html", "/docs/about", "index.html").target == "about.html"
    assert resolve(ix, "/docs/index.html", "/docs", "index.html").target == "index.html"
    assert resolve(ix, "/docs/index.html", "/about", "index.html").kind is Kind.outside_base_path
    assert resolve(ix, "/docs/index.html", "/docsabout", "index.html").kind is (
        Kind.outside_base_path
    )
    assert resolve(ix, "/docs/guide/setup.html", "../../x", "guide/setup.html").url == "/x"


def test_schemes_and_hosts() -> None:
    ix = idx(hosts=frozenset({"cloud.example.org"}))
    assert resolve(ix, "/index.html", "mailto:a@b", "index.html").kind is Kind.skipped
    assert resolve(ix, "/index.html", "JavaScript:void(0)", "index.html").kind is Kind.skipped
    ext = resolve(ix, "/index.html", "https://other.example.org/x", "index.html")
    assert (ext.kind, ext.target) == (Kind.external, "https://other.example.org/x")
    proto = resolve(ix, "/index.html", "//cdn.example.org/x.js", "index.html")
    assert (proto.kind, proto.target) == (Kind.external, "https://cdn.example.org/x.js")
    own = resolve(ix, "/index.html", "https://cloud.example.org/about", "index.html")
    assert (own.kind, own.target) == (Kind.ok, "about.html")
    own_missing = resolve(ix, "/index.html", "https://cloud.example.org/gone", "index.html")
    assert own_missing.kind is Kind.not_found


def test_fragments() -> None:
    anchors = {"install", "résumé", "step 1", "a%20b"}
    assert fragment_ok("install", anchors)
    assert fragment_ok("r%C3%A9sum%C3%A9", anchors)
    assert fragment_ok("résumé", anchors)
    assert fragment_ok("step%201", anchors)
    assert fragment_ok("a%20b", anchors)  # as written first
    assert fragment_ok("", anchors)
    assert fragment_ok("top", anchors) and fragment_ok("TOP", anchors)
    assert fragment_ok(":~:text=hello", anchors)
    assert not fragment_ok("Install", anchors)
    assert not fragment_ok("step%202", anchors)
    assert not fragment_ok("%FF", anchors)


def test_srcset() -> None:
    assert parse_srcset("a.png 1x, b.png 2x") == ["a.png", "b.png"]
    assert parse_srcset("a.png") == ["a.png"]
    assert parse_srcset(" a.png 100w,b,c.png 200w ") == ["a.png", "b,c.png"]
    assert parse_srcset("a.png,, b.png") == ["a.png", "b.png"]
    assert parse_srcset("") == []


def test_base_href() -> None:
    assert base_url("/docs/a/b.html", "/docs/other/") == "/docs/other/"
    assert base_url("/docs/a/b.html", "sub/") == "/docs/a/sub/"
    assert base_url("/docs/a/b.html", "https://elsewhere.example/") == "/docs/a/b.html"
