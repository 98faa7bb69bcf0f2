"""Benchmark: `watcloud links internal` on Debian's python3-doc HTML tree.

Measured in one run, on the same tree:
  floor      read and parse every page once with the parser the checker uses (lxml), 1 process
  watcloud   `watcloud links internal TREE -o json`, the whole command (2 worker processes here)
  linkinator linkinator 7.6.1 (npm), local path mode, --recurse --check-fragments, external
             links skipped
  reference  an independent, slow checker written here on the standard library's html.parser,
             to confirm every broken link and fragment is found (--no-reference skips it)

Needs: `apt-get install python3-doc` (the tree is /usr/share/doc/python3/html) and Node.js with
npm (linkinator is installed into ~/.cache/watcloud-bench/ on first use).
Run: .venv/bin/python benchmarks/links_internal.py [--tree DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar, NamedTuple
from urllib.parse import unquote, urlsplit

TREE = Path("/usr/share/doc/python3/html")
CACHE = Path.home() / ".cache" / "watcloud-bench"
LINKINATOR = "7.6.1"


class Run(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and its children
    rss: int  # peak RSS, KiB, of the process or its largest child
    result: subprocess.CompletedProcess[str]


def run_measured(cmd: list[str], cwd: Path | None = None) -> Run:
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, result)


def floor(pages: list[Path]) -> tuple[float, float]:
    """(wall, CPU) seconds to read and parse every page once with lxml, as the checker does."""
    from lxml import etree

    parser = etree.HTMLParser(collect_ids=False)
    t, c = time.perf_counter(), time.process_time()
    for p in pages:
        etree.fromstring(p.read_bytes(), parser)
    return time.perf_counter() - t, time.process_time() - c


def parsers(pages: list[Path], repeat: int) -> None:
    """Parse-only times of the candidate parsers (selectolax is optional)."""
    import lxml.html
    from lxml import etree

    datas = [p.read_bytes() for p in pages]
    cands = {
        "lxml etree.HTMLParser": lambda d, p=etree.HTMLParser(collect_ids=False): etree.fromstring(
            d, p
        ),
        "lxml.html.document_fromstring": lxml.html.document_fromstring,
    }
    try:
        from selectolax.lexbor import LexborHTMLParser  # type: ignore[import-not-found]

        cands["selectolax (lexbor), no line numbers"] = LexborHTMLParser
    except ImportError:
        print("  (pip install selectolax to compare it)")
    for name, fn in cands.items():
        best = 9e9
        for _ in range(repeat):
            t = time.perf_counter()
            for d in datas:
                fn(d)
            best = min(best, time.perf_counter() - t)
        print(f"  parse only, {name:<38} {best:6.2f} s")


def ensure_linkinator() -> Path:
    exe = CACHE / "node_modules" / ".bin" / "linkinator"
    if not exe.exists():
        if shutil.which("npm") is None:
            sys.exit("npm not found: install Node.js and npm to measure linkinator")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(CACHE), f"linkinator@{LINKINATOR}"],
            check=True,
        )
    return exe


class _Collect(HTMLParser):
    TAGS: ClassVar[dict[str, tuple[str, ...]]] = {
        "a": ("href",),
        "link": ("href",),
        "img": ("src",),
        "script": ("src",),
        "iframe": ("src",),
        "source": ("src",),
        "area": ("href",),
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if d.get("id"):
            self.ids.add(d["id"] or "")
        if tag == "a" and d.get("name"):
            self.ids.add(d["name"] or "")
        for attr in self.TAGS.get(tag, ()):
            if d.get(attr) is not None:
                self.links.append(d[attr] or "")


def reference(tree: Path) -> set[tuple[str, str]]:
    """(page, href) of every broken internal link, by a plain, independent implementation."""
    pages = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.htm*"))
    ids: dict[str, set[str]] = {}
    links: dict[str, list[str]] = {}
    for rel in pages:
        c = _Collect()
        c.feed((tree / rel).read_text(encoding="utf-8", errors="replace"))
        ids[rel], links[rel] = c.ids, c.links
    broken = set()
    for rel in pages:
        for href in links[rel]:
            parts = urlsplit(href.strip())
            if parts.scheme or parts.netloc:
                continue
            target = rel
            if parts.path:
                path = unquote(parts.path)
                if path.startswith("/"):  # the tree is served as the site's root
                    target = posixpath.normpath(path.lstrip("/"))
                else:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
                if (tree / target).is_dir() and (tree / target / "index.html").is_file():
                    target = posixpath.join(target, "index.html")
                if not (tree / target).is_file():
                    broken.add((rel, href.strip()))
                    continue
            frag = parts.fragment
            missing = frag not in ids.get(target, ()) and unquote(frag) not in ids.get(target, ())
            if frag and target.endswith((".html", ".htm")) and missing:
                broken.add((rel, href.strip()))
    return broken


def _fmt(xs: list[float]) -> str:
    return " ".join(f"{x:.2f}" for x in xs)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tree", type=Path, default=TREE)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--no-linkinator", action="store_true")
    args = ap.parse_args()
    tree = args.tree.resolve()
    if not tree.is_dir():
        sys.exit(
            f"{args.tree} not found: install Debian's python3-doc (apt-get install python3-doc)"
        )
    watcloud = Path(sys.executable).parent / "watcloud"
    pages = sorted(tree.rglob("*.html"))
    size = sum(p.stat().st_size for p in pages)
    print(f"tree: {tree} ({len(pages)} pages, {size / 1e6:.1f} MB of HTML), {os.cpu_count()} cores")

    # interleaved, best of --repeat: the machine is shared, so each side gets the same chances
    floors: list[tuple[float, float]] = []
    runs: list[Run] = []
    cmd = [str(watcloud), "links", "internal", str(tree), "-o", "json"]
    for _ in range(args.repeat):
        floors.append(floor(pages))
        run = run_measured(cmd)
        if run.result.returncode not in (0, 1):
            sys.exit(f"watcloud failed: {run.result.stderr}")
        runs.append(run)
    t_floor, c_floor = min(f[0] for f in floors), min(f[1] for f in floors)
    ours, c_ours = min(r.wall for r in runs), min(r.cpu for r in runs)
    proc = runs[-1].result
    print(
        f"floor (read + lxml parse, 1 process):    {t_floor:6.2f} s wall, {c_floor:5.2f} s CPU"
        f"  (wall runs: {_fmt([f[0] for f in floors])})"
    )
    print(
        f"watcloud links internal (whole command): {ours:6.2f} s wall, {c_ours:5.2f} s CPU"
        f"  (wall runs: {_fmt([r.wall for r in runs])}), peak RSS "
        f"{max(r.rss for r in runs) / 1024:.0f} MiB"
    )
    report = json.loads(proc.stdout)
    print(
        f"  {report['links']} links, {report['fragments_checked']} fragments checked, "
        f"{report['broken_links']} broken links to {report['broken_targets']} targets"
    )
    for b in report["broken"]:
        pages_with = sorted({o["page"] for o in b["occurrences"]})
        print(
            f"    {b['reason']:<20} {b['target']}  ({len(b['occurrences'])} links on "
            f"{len(pages_with)} pages, e.g. {pages_with[0]})"
        )
    # in-process library time, 1 and 2 workers (no interpreter start-up, no JSON)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from watcloud.links.internal import check_site

    for jobs in (1, 2):
        t = time.perf_counter()
        check_site(tree, jobs=jobs)
        print(f"  library check_site(jobs={jobs}):         {time.perf_counter() - t:6.2f} s")
    print(
        f"ratio watcloud / floor: {ours / t_floor:.2f}x wall (target <= 2x), "
        f"{c_ours / c_floor:.2f}x CPU"
    )
    parsers(pages, args.repeat)

    ours_set = {(o["page"], o["href"]) for b in report["broken"] for o in b["occurrences"]}
    if not args.no_reference:
        t = time.perf_counter()
        ref = reference(tree)
        print(
            f"reference checker (stdlib html.parser): {time.perf_counter() - t:6.2f} s, "
            f"{len(ref)} broken (page, href) pairs"
        )
        missed, extra = ref - ours_set, ours_set - ref
        print(f"  missed by watcloud: {len(missed)}; reported by watcloud only: {len(extra)}")
        for m in sorted(missed)[:10]:
            print(f"    missed: {m}")
        for m in sorted(extra)[:10]:
            print(f"    only watcloud: {m}")

    if not args.no_linkinator:
        exe = ensure_linkinator()
        cmd = [
            str(exe),
            str(tree),
            "--recurse",
            "--check-fragments",
            "--skip",
            "^(?!http://localhost)",
            "--format",
            "json",
        ]
        lk = run_measured(cmd, cwd=CACHE)
        try:
            data = json.loads(lk.result.stdout)
        except json.JSONDecodeError:
            sys.exit(f"linkinator output not JSON: {lk.result.stderr[-500:]}")
        broken = [x for x in data["links"] if x["state"] == "BROKEN"]
        frag = [x for x in broken if "#" in x["url"] and not x["url"].startswith("http")]
        print(
            f"linkinator {LINKINATOR} --recurse --check-fragments: {lk.wall:6.2f} s wall, "
            f"{lk.cpu:5.2f} s CPU, peak RSS {lk.rss / 1024:.0f} MiB"
        )
        print(f"  {len(broken)} broken entries, {len(frag)} of them internal fragments")
        for x in broken[:20]:
            print(f"    {x['status']} {x['url']}  (from {x.get('parent', '?')})")
        ours_frag = sum(
            len(b["occurrences"]) for b in report["broken"] if b["reason"] == "fragment-not-found"
        )
        print(f"  broken fragments: watcloud {ours_frag}, linkinator {len(frag)}")
        print(
            f"ratio linkinator / watcloud: {lk.wall / ours:.1f}x wall (target >= 10x), "
            f"{lk.cpu / c_ours:.1f}x CPU"
        )


if __name__ == "__main__":
    main()
