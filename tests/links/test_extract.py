"""Extraction: links with line and XPath locators, anchors, duplicate ids."""

from __future__ import annotations

from watcloud.links.extract import anchors_of, extract

PAGE = b"""<!DOCTYPE html>
<html><head>
<link rel="preconnect" href="https://fonts.example.org">
<link rel="stylesheet" href="/s.css">
<script src="/a.js"></script>
</head>
<body>
<div id="x"><a href="/one">one</a>
<a name="legacy">old</a><a>no href</a>
<a href="/two#frag">two</a></div>
<img src="/i.png" srcset="/i.png 1x, /i2.png 2x">
<picture><source srcset="/p.webp"></picture>
<iframe src="/embed"></iframe>
<area href="/map">
<p id="x">dup</p><p id="y"></p>
</body></html>
"""


def test_links_in_document_order_with_locators() -> None:
    page = extract(PAGE)
    got = [(url, line, attr) for url, line, _xp, attr in page.links]
    assert got == [
        ("/s.css", 4, "link@href"),
        ("/a.js", 5, "script@src"),
        ("/one", 8, "a@href"),
        ("/two#frag", 10, "a@href"),
        ("/i.png", 11, "img@src"),
        ("/i.png", 11, "img@srcset"),
        ("/i2.png", 11, "img@srcset"),
        ("/p.webp", 12, "source@srcset"),
        ("/embed", 13, "iframe@src"),
        ("/map", 14, "area@href"),
    ]
    xpaths = {url: page.xpath(el) for url, _l, el, _a in page.links}
    assert xpaths["/one"] == "/html/body/div/a[1]"
    assert xpaths["/two#frag"] == "/html/body/div/a[4]"
    assert xpaths["/a.js"] == "/html/head/script"


def test_resource_hints_are_not_links() -> None:
    urls = [u for u, *_ in extract(PAGE).links]
    assert "https://fonts.example.org" not in urls and "/s.css" in urls


def test_anchors_and_duplicates() -> None:
    page = extract(PAGE)
    assert page.anchors == {"x", "y", "legacy"}
    assert page.duplicate_ids == {"x": [8, 15]}
    assert anchors_of(PAGE) == {"x", "y", "legacy"}


def test_garbage_and_empty_input() -> None:
    assert extract(b"").links == []
    page = extract(b"\x00\xff<a href='/ok'>unterminated <div id=z")
    assert [u for u, *_ in page.links] == ["/ok"]


def test_base_href_found() -> None:
    assert extract(b"<html><head><base href='/b/'></head><body></body></html>").base_href == "/b/"
