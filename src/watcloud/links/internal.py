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
# Pages kept parsed in this process until the end, so that the XPath of a link found broken
# only once every page's anchors are known can still be computed: rel -> Page.
_KEPT: dict[str, Any] = {}
# Parsed trees take about 12 bytes of memory per byte of HTML; pages are kept within this
# budget (per process), beyond it their pending links get their XPath at once.
KEEP_BUDGET = 64 * 1024 * 1024
TREE_BYTES_PER_BYTE = 12

# A cross-page fragment check decided at the end: (target page, fragment, target URL, href,
# line, xpath ("" = ask the page's process with the link's index), attr, link index)
Pending = tuple[str, str, str, str, int, str, str, int]
# A broken occurrence: (reason, target URL, href, line, xpath, attr)
Broken = tuple[str, str, str, int, str, str]


@dataclass
class PageResult:
    rel: str
    anchors: list[str]
    duplicate_ids: dict[str, list[int]]
    pending: list[Pending]
    broken: list[Broken]
    external: list[tuple[str, str, int, str, str]]
    links: int
    fragments: int


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
    """Read and parse each page once; resolve its links; decide what can be decided here.

    Pages go smallest first, so that the big index pages, which link everywhere, come when
    most targets' anchors are already known and their links are decided on the spot.
    """
    index: SiteIndex = _CTX["index"]
    root: Path = _CTX["root"]
    ignore: list[re.Pattern[str]] = _CTX["ignore"]
    collect_external: bool = _CTX["collect_external"]
    check_fragments: bool = _CTX["check_fragments"]
    out: list[PageResult] = []
    cache: dict[str, dict[str, Resolved]] = {}  # page directory -> href -> resolution
    known: dict[str, set[str]] = {}  # anchors of the pages done here
    budget = KEEP_BUDGET
    for rel in sorted(pages, key=lambda p: _size(root / p)):
        try:
            data = (root / rel).read_bytes()
        except OSError as exc:
            raise InputError(f"{root / rel}: cannot read page: {exc.strerror}") from None
        page = extract(data)
        xpath = page.xpath
        page_url = index.page_url(rel)
        if page.base_href:
            page_url = base_url(page_url, page.base_href)
        page_dir = page_url.rsplit("/", 1)[0]
        pending: list[Pending] = []
        broken: list[Broken] = []
        external: list[tuple[str, str, int, str, str]] = []
        anchors = page.anchors
        known[rel] = anchors
        nfrag = 0
        self_link = resolve(index, page_url, "", rel)  # "#x" and "": this page
        dir_cache = cache.setdefault(page_dir, {})
        ok, external_kind, skipped = Kind.ok, Kind.external, Kind.skipped
        for i, (href, line, el, attr) in enumerate(page.links):
            bare, hashmark, fragment = href.partition("#")
            if not bare:
                res = self_link
            else:
                cached = dir_cache.get(bare)
                if cached is None:
                    cached = dir_cache[bare] = resolve(index, page_url, bare, rel)
                res = cached
            kind = res.kind
            if kind is ok:
                if not hashmark or not check_fragments or not res.html:
                    continue
                if ignore and _ignored(ignore, href, f"{res.url}#{fragment}"):
                    continue
                nfrag += 1
                target = res.target
                target_anchors = known.get(target)
                if target_anchors is None:
                    pending.append((target, fragment, res.url, href, line, "", attr, i))
                elif fragment not in target_anchors and not fragment_ok(fragment, target_anchors):
                    where = f"{res.url}#{fragment}"
                    broken.append(("fragment-not-found", where, href, line, xpath(el), attr))
            elif kind is external_kind:
                if collect_external:
                    external.append((res.target, href, line, xpath(el), attr))
            elif kind is skipped:
                continue
            else:
                if ignore and _ignored(ignore, href, res.url):
                    continue
                broken.append((kind.value, res.url, href, line, xpath(el), attr))
        if pending:
            cost = len(data) * TREE_BYTES_PER_BYTE
            if cost <= budget:
                budget -= cost
                _KEPT[rel] = page
            else:  # over the budget: locators now, the tree goes
                links = page.links
                pending = [(*p[:5], xpath(links[p[7]][2]), *p[6:]) for p in pending]
        out.append(
            PageResult(
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


def _locate(wanted: dict[str, list[int]]) -> dict[tuple[str, int], str]:
    """XPaths of links (page, link index) on the pages kept in this process."""
    out = {}
    for rel, indexes in wanted.items():
        page = _KEPT[rel]
        for i in indexes:
            out[(rel, i)] = page.xpath(page.links[i][2])
    return out


def _child(conn: Any, parent_end: Any, pages: Sequence[str]) -> None:
    """A worker process: its pages' results, then the XPaths the parent asks for (None: none)."""
    parent_end.close()
    try:
        try:
            conn.send(("ok", _work(pages)))
        except Exception as exc:  # reported by the parent as one line
            text = str(exc) if isinstance(exc, InputError) else f"worker failed: {exc!r}"
            conn.send(("error", text))
            return
        wanted = conn.recv()
        if wanted is not None:
            conn.send(_locate(wanted))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


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
    children: list[tuple[Any, Any]] = []
    try:
        mine, *theirs = _chunks(root, pages, max(1, jobs))
        if theirs:
            import multiprocessing

            # The parent works too: it takes one share and the children the others (bins of
            # about equal bytes), so no core idles and only the children's results travel.
            ctx = multiprocessing.get_context("fork")
            for chunk in theirs:
                here, there = ctx.Pipe()
                proc = ctx.Process(target=_child, args=(there, here, chunk), daemon=True)
                proc.start()
                there.close()
                children.append((here, proc))
        results = _work(mine)
        owner: dict[str, Any] = {}
        for conn, _proc in children:
            status, payload = _receive(conn)
            if status == "error":
                raise InputError(payload)
            results.extend(payload)
            for r in payload:
                owner[r.rel] = conn
        report, unlocated = _assemble(root, bp, len(files), results)
        asks: dict[Any, dict[str, list[int]]] = {}
        for rel, i in unlocated:
            asks.setdefault(owner.get(rel), {}).setdefault(rel, []).append(i)
        xpaths = _locate(asks.pop(None, {}))
        for conn, _proc in children:
            wanted = asks.get(conn)
            conn.send(wanted)
            if wanted is not None:
                xpaths.update(_receive(conn))
        if unlocated:
            for (rel, i), where in unlocated.items():
                where.xpath = xpaths[(rel, i)]
            for group in report.broken:
                group.occurrences.sort(key=lambda w: (w.page, w.line, w.xpath))
    finally:
        for conn, proc in children:
            conn.close()
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        _CTX.clear()
        _KEPT.clear()
    return report


def _receive(conn: Any) -> Any:
    from watcloud.core.errors import WatcloudError

    try:
        return conn.recv()
    except EOFError:
        raise WatcloudError("a worker process died (out of memory?); try --jobs 1") from None


def _assemble(
    root: Path, bp: str, nfiles: int, results: list[PageResult]
) -> tuple[InternalReport, dict[tuple[str, int], Where]]:
    """The report, and the occurrences whose XPath is still to be computed (page, index)."""
    report = InternalReport(site=str(root), base_path=bp, pages=len(results), files=nfiles)
    anchors: dict[str, frozenset[str]] = {r.rel: frozenset(r.anchors) for r in results}
    groups: dict[tuple[str, str], BrokenTarget] = {}
    unlocated: dict[tuple[str, int], Where] = {}

    def add(reason: str, target: str, where: Where) -> None:
        group = groups.get((reason, target))
        if group is None:
            group = groups[(reason, target)] = BrokenTarget(target, reason, REASONS[reason])
        group.occurrences.append(where)

    verdicts: dict[tuple[str, str], bool] = {}
    for r in results:
        rel = r.rel
        report.links += r.links
        report.fragments_checked += r.fragments
        for ident, lines in r.duplicate_ids.items():
            report.duplicate_ids.append(DuplicateId(rel, ident, lines))
        for reason, target, href, line, xpath, attr in r.broken:
            add(reason, target, Where(rel, line, xpath, attr, href))
        for target, fragment, url, href, line, xpath, attr, i in r.pending:
            key = (target, fragment)
            ok = verdicts.get(key)
            if ok is None:
                ok = verdicts[key] = fragment_ok(fragment, anchors.get(target, frozenset()))
            if not ok:
                where = Where(rel, line, xpath, attr, href)
                if not xpath:
                    unlocated[(rel, i)] = where
                add("fragment-not-found", f"{url}#{fragment}", where)
        for url, href, line, xpath, attr in r.external:
            report.external.setdefault(url, []).append(Where(rel, line, xpath, attr, href))
    for group in groups.values():
        group.occurrences.sort(key=lambda w: (w.page, w.line, w.xpath))
    report.broken = sorted(groups.values(), key=lambda g: (g.target, g.reason))
    report.duplicate_ids.sort(key=lambda d: (d.page, d.id))
    return report, unlocated
