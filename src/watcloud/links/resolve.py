"""Resolution: from a link as written on a page to a file of a static export (pure, no I/O).

The layout is Next.js's `output: "export"`: `/about` is `about.html` (or `about/index.html` with
`trailingSlash`), `/` is `index.html`, assets live under `/_next/`, everything under `basePath`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
_STRIP = re.compile(r"[\t\n\r]")
HTML_SUFFIXES = (".html", ".htm")


class Kind(StrEnum):
    ok = "ok"  # resolved to a file of the site
    external = "external"  # http(s) link to another site
    skipped = "skipped"  # mailto:, tel:, javascript:, data:, ...
    not_found = "not-found"  # no file for the path
    outside_base_path = "outside-base-path"  # absolute path not under basePath


class Resolved(NamedTuple):
    kind: Kind
    target: str  # site file (ok), absolute URL (external), URL path (not found), raw (skipped)
    fragment: str | None = None  # raw fragment as written (percent-encoded), None when absent
    url: str = ""  # the resolved URL path with basePath, for reports ("/docs/about")
    html: bool = False  # the target is an HTML page (its fragments can be checked)


def normalize_base_path(base_path: str | None) -> str:
    """'' or '/prefix' (leading slash, no trailing slash)."""
    if not base_path:
        return ""
    bp = "/" + base_path.strip("/")
    return "" if bp == "/" else bp


@dataclass(frozen=True)
class SiteIndex:
    """The files of an exported site (POSIX paths relative to its root) and its settings."""

    files: frozenset[str]
    base_path: str = ""
    site_hosts: frozenset[str] = frozenset()

    def page_url(self, rel_file: str) -> str:
        """The URL path a page is served at, for resolving its relative links."""
        return f"{self.base_path}/{rel_file}"

    def file_for(self, site_path: str) -> str | None:
        """The file for a decoded path under the site root ('/about', '/a/', '/x.css')."""
        rel = site_path.lstrip("/")
        files = self.files
        if rel == "" or site_path.endswith("/"):
            stem = rel.rstrip("/")
            for cand in (f"{stem}/index.html" if stem else "index.html", f"{stem}.html"):
                if cand in files:
                    return cand
            return None
        if rel in files:
            return rel
        for cand in (f"{rel}.html", f"{rel}/index.html"):
            if cand in files:
                return cand
        return None


def resolve(index: SiteIndex, page_url: str, href: str, page_file: str) -> Resolved:
    """Resolve `href` found on the page served at `page_url` (a path with basePath)."""
    href = _STRIP.sub("", href.strip(" \t\n\r\f"))
    fragment: str | None = None
    if "#" in href:
        href, fragment = href.split("#", 1)
    if ":" in href and _SCHEME.match(href):
        scheme = href.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            return Resolved(Kind.skipped, href)
        parts = urlsplit(href)
        if (parts.hostname or "") not in index.site_hosts:
            return Resolved(Kind.external, _with_fragment(href, fragment), fragment)
        path = parts.path or "/"
    elif href.startswith("//"):
        parts = urlsplit("https:" + href)
        if (parts.hostname or "") not in index.site_hosts:
            return Resolved(Kind.external, _with_fragment("https:" + href, fragment), fragment)
        path = parts.path or "/"
    else:
        path = href.split("?", 1)[0]
        if path == "":
            return Resolved(Kind.ok, page_file, fragment, page_url, is_html(page_file))
        if not path.startswith("/"):
            base_dir = page_url.rsplit("/", 1)[0]
            path = f"{base_dir}/{path}"
    trailing = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
    path = posixpath.normpath(path)
    if path.startswith("//"):  # normpath keeps a leading '//'
        path = "/" + path.lstrip("/")
    if trailing and path != "/":
        path += "/"
    decoded = unquote(path)
    bp = index.base_path
    if bp:
        if decoded == bp or decoded.startswith(bp + "/"):
            site_path = decoded[len(bp) :] or "/"
        else:
            return Resolved(Kind.outside_base_path, path, fragment, path)
    else:
        site_path = decoded
    found = index.file_for(site_path)
    if found is None:
        return Resolved(Kind.not_found, path, fragment, path)
    return Resolved(Kind.ok, found, fragment, path, is_html(found))


def base_url(page_url: str, base_href: str) -> str:
    """The URL relative links resolve against on a page with `<base href>` (same-site only;
    a base on another site is ignored)."""
    href = base_href.strip()
    if not href or _SCHEME.match(href) or href.startswith("//"):
        return page_url
    href = href.split("#", 1)[0].split("?", 1)[0]
    if not href.startswith("/"):
        href = page_url.rsplit("/", 1)[0] + "/" + href
    return href


def _with_fragment(url: str, fragment: str | None) -> str:
    return url if fragment is None else f"{url}#{fragment}"


def is_html(rel_file: str) -> bool:
    return rel_file.endswith(HTML_SUFFIXES)


def fragment_ok(fragment: str, anchors: frozenset[str] | set[str]) -> bool:
    """Does `#fragment` (as written) land on an anchor of the target page?

    Browsers try the fragment as written, then percent-decoded (UTF-8). An empty fragment and
    `top` scroll to the top; text fragments (`:~:text=`) are not anchors.
    """
    if fragment == "" or fragment in anchors:
        return True
    decoded = unquote(fragment, errors="replace") if "%" in fragment else fragment
    if decoded in anchors:
        return True
    return decoded.lower() == "top" or decoded.startswith(":~:")
