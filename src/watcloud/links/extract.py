"""Extraction: parse an HTML page once; collect its link occurrences and its anchors.

lxml (libxml2's HTML parser) is used because it reports each element's source line; XPath
locators come from `getpath`. Measured against selectolax in docs/links.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# (tag, attribute) pairs whose value is a URL; srcset holds several.
URL_ATTRS: dict[str, tuple[str, ...]] = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "source": ("src", "srcset"),
}
TAGS = tuple(URL_ATTRS)
# <link rel=...> values that name an origin to warm up, not a page or a resource: Next.js writes
# `<link rel="preconnect" href="/">` on every page, which under a basePath is no link at all.
HINT_RELS = frozenset({"preconnect", "dns-prefetch"})

_SRCSET_SPLIT = re.compile(r"\s*,\s*(?=\S)")


# One link on one page: (url as written (one candidate of a srcset), 1-based source line (0 when
# unknown), the lxml element (for its XPath, computed only when needed: `Page.xpath`),
# "tag@attribute")
Occurrence = tuple[str, int, Any, str]


@dataclass(slots=True)
class Page:
    links: list[Occurrence] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)  # ids and <a name>
    duplicate_ids: dict[str, list[int]] = field(default_factory=dict)  # id -> lines
    base_href: str | None = None
    root: Any = None  # the parsed document (kept alive as long as the page is)
    _getpath: Any = None

    def xpath(self, element: Any) -> str:
        """The XPath (`/html/body/div[2]/a`) of one of this page's elements."""
        if self._getpath is None:
            self._getpath = self.root.getroottree().getpath
        return str(self._getpath(element))


def parse_srcset(value: str) -> list[str]:
    """The URLs of a `srcset` ("a.png 1x, b.png 2x"); URLs may contain commas, not spaces."""
    urls = []
    pos, n = 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0  # skip the descriptors up to the next comma outside parentheses
            while pos < n:
                c = value[pos]
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth = max(0, depth - 1)
                elif c == "," and depth == 0:
                    break
                pos += 1
        if url:
            urls.append(url)
    return urls


_PARSER: Any = None


def parse_html(data: bytes | str) -> Any:
    """The lxml root element of a document (None for an empty one). Plain `lxml.etree`
    elements: `lxml.html`'s Python-level element classes cost a third more per page."""
    global _PARSER
    from lxml import etree  # type: ignore[import-untyped]

    if _PARSER is None:
        _PARSER = etree.HTMLParser(collect_ids=False)
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.ParserError, ValueError):
        return None
    return root


def extract(data: bytes | str) -> Page:
    """Parse one page: link occurrences in document order, anchors, duplicate ids.

    Resource hints (`<link rel="preconnect|dns-prefetch">`) are not links and are skipped.

    XPath locators cost about as much as the rest of the extraction together, and only broken
    links need one: each occurrence carries its element, `Page.xpath` makes the locator.
    """
    page = Page()
    root = parse_html(data)
    if root is None:
        return page
    page.root = root
    links = page.links
    append = links.append
    for el in root.iter(TAGS):
        tag = el.tag
        if tag == "a":
            href = el.get("href")
            if href is not None:
                append((href, el.sourceline or 0, el, "a@href"))
            continue
        if tag == "link":
            rel = (el.get("rel") or "").lower().split()
            if HINT_RELS.intersection(rel):
                continue
        for attr in URL_ATTRS[tag]:
            value = el.get(attr)
            if value is None:
                continue
            line = el.sourceline or 0
            label = f"{tag}@{attr}"
            if attr == "srcset":
                for url in parse_srcset(value):
                    append((url, line, el, label))
            else:
                append((value, line, el, label))
    # ids as "smart" strings: each knows its element, for the lines of duplicates
    ids = _xpaths()["smart_ids"](root)
    anchors = page.anchors
    anchors.update(str(i) for i in ids)
    if len(anchors) != len(ids):
        counts = Counter(ids)
        dups = page.duplicate_ids
        for i in ids:
            if counts[i] > 1:
                dups.setdefault(str(i), []).append(i.getparent().sourceline or 0)
    anchors.update(_xpaths()["names"](root))
    base = root.find("head/base")
    if base is not None and base.get("href"):
        page.base_href = base.get("href")
    return page


def anchors_of(data: bytes | str) -> set[str]:
    """Only the anchors of a page (for external fragment checks)."""
    root = parse_html(data)
    if root is None:
        return set()
    out = set(_xpaths()["ids"](root))
    out.update(_xpaths()["names"](root))
    return out


_XPATHS: dict[str, Any] = {}


def _xpaths() -> dict[str, Any]:
    """Compiled queries; plain strings (smart strings would keep the tree alive)."""
    if not _XPATHS:
        from lxml import etree

        _XPATHS["ids"] = etree.XPath("//@id", smart_strings=False)
        _XPATHS["names"] = etree.XPath("//a/@name", smart_strings=False)
        _XPATHS["smart_ids"] = etree.XPath("//@id")
    return _XPATHS
