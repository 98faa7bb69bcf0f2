"""The internal checker: every page of a static export read and parsed once (across processes),
every link resolved to a file, every fragment checked against the target page's anchors."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcloud.core.errors import InputError
from watcloud.links.extract import extract
from watcloud.links.resolve import (
    Kind,
    Resolved,
    SiteIndex,
    base_url,
    fragment_ok,
    is_html,
    normalize_base_path,
    resolve,
)

REASONS = {
    "not-found": "no page or file at this path",
    "fragment-not-found": "no element with this id or <a name> on the target page",
    "outside-base-path": "absolute path outside the site's basePath",
}


@dataclass(slots=True)
class Where:
    """One occurrence of a link: the page (site file), line, XPath, tag@attribute, as written."""

    page: str
    line: int
    xpath: str
    attr: str
    href: str


@dataclass
class BrokenTarget:
    target: str  # resolved URL path, with '#fragment' for fragment errors
    reason: str  # not-found | fragment-not-found | outside-base-path
    message: str
    occurrences: list[Where] = field(default_factory=list)


@dataclass
class DuplicateId:
    page: str
    id: str
    lines: list[int]


@dataclass
class InternalReport:
    site: str
    base_path: str
    pages: int = 0
    files: int = 0
    links: int = 0
    fragments_checked: int = 0
    broken: list[BrokenTarget] = field(default_factory=list)
    duplicate_ids: list[DuplicateId] = field(default_factory=list)
    external: dict[str, list[Where]] = field(default_factory=dict)

    @property
    def broken_links(self) -> int:
        return sum(len(b.occurrences) for b in self.broken)

    @property
    def ok(self) -> bool:
        return not self.broken


# Set in the parent before the worker processes fork; read-only in the workers.
_CTX: dict[str, Any] = {}

# Per page, from a worker: (rel, anchors, duplicate ids, pending cross-page fragment checks,
# broken occurrences, external occurrences, number of links)
PageResult = tuple[
    str,
    list[str],
    dict[str, list[int]],
    list[tuple[str, str, str, str, int, str, str]],
    list[tuple[str, str, str, int, str, str]],
    list[tuple[str, str, int, str, str]],
    int,
    int,
]


def list_site(root: Path) -> tuple[list[str], list[str]]:
    """(all files, HTML pages) as sorted POSIX paths relative to `root`."""
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        files.extend(prefix + name for name in filenames)
    files.sort()
    return files, [f for f in files if is_html(f)]


def _work(pages: Sequence[str]) -> list[PageResult]:
    index: SiteIndex = _CTX["index"]
    root: Path = _CTX["root"]
    ignore: list[re.Pattern[str]] = _CTX["ignore"]
    collect_external: bool = _CTX["collect_external"]
    check_fragments: bool = _CTX["check_fragments"]
    out: list[PageResult] = []
    cache: dict[tuple[str, str], Resolved] = {}
    for rel in pages:
        try:
            data = (root / rel).read_bytes()
        except OSError as exc:
            raise InputError(f"{root / rel}: cannot read page: {exc.strerror}") from None
        page = extract(data, skip_hints=collect_external)
        page_url = index.page_url(rel)
        if page.base_href:
            page_url = base_url(page_url, page.base_href)
        page_dir = page_url.rsplit("/", 1)[0]
        pending: list[tuple[str, str, str, str, int, str, str]] = []
        broken: list[tuple[str, str, str, int, str, str]] = []
        external: list[tuple[str, str, int, str, str]] = []
        anchors = page.anchors
        nfrag = 0
        for href, line, xpath, attr in page.links:
            bare, hashmark, frag = href.partition("#")
            fragment = frag if hashmark else None
            key = (page_dir, bare)
            res = cache.get(key) if bare else None
            if res is None:
                res = resolve(index, page_url, bare, rel)
                if bare:
                    cache[key] = res
            kind = res.kind
            if kind is Kind.ok:
                if fragment is None or not check_fragments or not res.html:
                    continue
                target = res.target
                if ignore and _ignored(ignore, href, f"{res.url}#{fragment}"):
                    continue
                nfrag += 1
                if target == rel and not bare:
                    if not fragment_ok(fragment, anchors):
                        broken.append(
                            ("fragment-not-found", f"{res.url}#{fragment}", href, line, xpath, attr)
                        )
                else:
                    pending.append((target, fragment, res.url, href, line, xpath, attr))
            elif kind is Kind.external:
                if collect_external:
                    external.append((res.target, href, line, xpath, attr))
            elif kind is Kind.skipped:
                continue
            else:
                if ignore and _ignored(ignore, href, res.url):
                    continue
                broken.append((kind.value, res.url, href, line, xpath, attr))
        out.append(
            (
                rel,
                sorted(anchors),
                page.duplicate_ids,
                pending,
                broken,
                external,
                len(page.links),
                nfrag,
            )
        )
    return out


def _ignored(patterns: list[re.Pattern[str]], href: str, resolved: str) -> bool:
    return any(p.search(href) or p.search(resolved) for p in patterns)


def _chunks(root: Path, pages: list[str], n: int) -> list[list[str]]:
    """`n` lists of pages of about equal total size (largest first, each to the lightest)."""
    sized = sorted(((_size(root / p), p) for p in pages), reverse=True)
    bins: list[list[str]] = [[] for _ in range(n)]
    loads = [0] * n
    for size, page in sized:
        i = loads.index(min(loads))
        bins[i].append(page)
        loads[i] += size + 4096
    return [b for b in bins if b]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def default_jobs(pages: int) -> int:
    return 1 if pages < 48 else max(1, min(os.cpu_count() or 1, 8))


def check_site(
    site_dir: Path,
    *,
    base_path: str | None = None,
    ignore: Iterable[str] = (),
    site_hosts: Iterable[str] = (),
    check_fragments: bool = True,
    collect_external: bool = False,
    jobs: int = 0,
) -> InternalReport:
    """Check every internal link of the exported site at `site_dir`."""
    root = Path(site_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory (give the exported site, e.g. `out/`)")
    try:
        patterns = [re.compile(p) for p in ignore]
    except re.error as exc:
        raise InputError(f"ignore pattern {exc.pattern!r}: {exc}") from None
    files, pages = list_site(root)
    if not pages:
        raise InputError(f"{root}: no .html pages found (is this the exported site?)")
    bp = normalize_base_path(base_path)
    index = SiteIndex(frozenset(files), bp, frozenset(h.lower() for h in site_hosts))
    _CTX.update(
        index=index,
        root=root,
        ignore=patterns,
        collect_external=collect_external,
        check_fragments=check_fragments,
    )
    jobs = jobs or default_jobs(len(pages))
    results: list[PageResult] = []
    if jobs <= 1:
        results = _work(pages)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # The parent works too: it takes one share and the children the others (bins of
        # about equal bytes), so no core idles and only the children's results are pickled.
        ctx = multiprocessing.get_context("fork")
        mine, *theirs = _chunks(root, pages, jobs)
        with ProcessPoolExecutor(max_workers=max(1, len(theirs)), mp_context=ctx) as pool:
            futures = [pool.submit(_work, chunk) for chunk in theirs]
            results = _work(mine)
            for future in futures:
                results.extend(future.result())
    _CTX.clear()
    return _assemble(root, bp, len(files), results)


def _assemble(root: Path, bp: str, nfiles: int, results: list[PageResult]) -> InternalReport:
    report = InternalReport(site=str(root), base_path=bp, pages=len(results), files=nfiles)
    anchors: dict[str, frozenset[str]] = {}
    for rel, anc, *_ in results:
        anchors[rel] = frozenset(anc)
    groups: dict[tuple[str, str], BrokenTarget] = {}

    def add(reason: str, target: str, where: Where) -> None:
        group = groups.get((reason, target))
        if group is None:
            group = groups[(reason, target)] = BrokenTarget(target, reason, REASONS[reason])
        group.occurrences.append(where)

    verdicts: dict[tuple[str, str], bool] = {}
    for rel, _anc, dups, pending, broken, external, nlinks, nfrag in results:
        report.links += nlinks
        report.fragments_checked += nfrag
        for ident, lines in dups.items():
            report.duplicate_ids.append(DuplicateId(rel, ident, lines))
        for reason, target, href, line, xpath, attr in broken:
            add(reason, target, Where(rel, line, xpath, attr, href))
        for target, fragment, url, href, line, xpath, attr in pending:
            key = (target, fragment)
            ok = verdicts.get(key)
            if ok is None:
                ok = verdicts[key] = fragment_ok(fragment, anchors.get(target, frozenset()))
            if not ok:
                add("fragment-not-found", f"{url}#{fragment}", Where(rel, line, xpath, attr, href))
        for url, href, line, xpath, attr in external:
            report.external.setdefault(url, []).append(Where(rel, line, xpath, attr, href))
    for group in groups.values():
        group.occurrences.sort(key=lambda w: (w.page, w.line, w.xpath))
    report.broken = sorted(groups.values(), key=lambda g: (g.target, g.reason))
    report.duplicate_ids.sort(key=lambda d: (d.page, d.id))
    return report
