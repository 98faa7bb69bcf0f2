"""Recall of the speller on real typos: codespell's findings labelled right on the tuning
splits (benchmarks/data/style_labels.jsonl), lowercase words of four letters or more
(hyphenated ones too).

For each one: does our speller flag the word on its own (unknown and close to a correction,
as the `spelling` check decides before its per-document rules)? And does the whole checker
report it in its stored context (80 characters of the line, as a one-line document)? The
second count is lower: the context rules (a word also in code or a URL of the page, a
one-word table cell, the correction written elsewhere on the page) see only the stored line.
The third count checks the whole page the typo is on, as `watcloud style check` reads it,
where the package is fetched in $STYLE_EVAL_DIR (see style_eval.py; pages not there are
counted as missed and named).

    .venv/bin/python benchmarks/style_typo_recall.py
    .venv/bin/python benchmarks/style_typo_recall.py --splits dev,dev-c,dev-d,dev-f,dev-g
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from style_eval import PACKAGES, fetch
from watcloud.style.engine import Checker
from watcloud.style.workflow import blocks, project_names

LABELS = Path(__file__).parent / "data" / "style_labels.jsonl"
TUNING = ("dev", "dev-b", "dev-c", "dev-d", "dev-e")


def flagged(checker: Checker, word: str) -> bool:
    """A hyphenated word ("non-existant") is flagged when one of its parts is."""
    if "-" in word:
        return any(flagged(checker, part) for part in word.split("-") if len(part) >= 4)
    sp = checker.ctx.speller
    if sp.known(word):
        return False
    suggestion = sp.suggest(word)
    if suggestion is None:
        return False
    return len(word) != 4 or sorted(word) == sorted(suggestion.lower())


def on_page(checker: Checker, r: dict[str, object], base: Path) -> bool | None:
    """Whether the checker reports the typo on its line of its page, or None when the page
    is not in the eval dir."""
    pkg = next((p for p in PACKAGES if p[2] == r["package"] and p[3] == r["version"]), None)
    if pkg is None:
        return None
    dest = base / "debian" / pkg[2] if pkg[1] == "debian" else base / f"{pkg[2]}-{pkg[3]}"
    if not dest.is_dir():
        return None
    try:
        root = fetch(pkg[1], pkg[2], pkg[3], base)
    except SystemExit:  # a Debian package at another version than the one labelled
        return None
    pages = [p for p in root.glob(f"*/{r['path']}") if p.is_file()]
    if not pages:
        return None
    word = str(r["matched"]).strip()
    found = checker.check_blocks(blocks(pages[0]), str(r["path"]), names=project_names(pages[0]))
    return any(
        f.rule == "spelling" and f.line == r["line"] and f.matched.lower() in word for f in found
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--splits", default=",".join(TUNING), help="comma-separated split names")
    splits = tuple(ap.parse_args().splits.split(","))
    checker = Checker()
    rows = []
    for line in LABELS.read_text("utf-8").splitlines():
        r = json.loads(line)
        word = str(r["matched"]).strip()
        if (
            r.get("tool") == "codespell"
            and r["label"]
            and r["split"] in splits
            and re.fullmatch(r"[a-z]+(?:-[a-z]+)*", word)
            and len(word) >= 4
        ):
            rows.append(r)
    alone = in_context = paged = 0
    missed = []
    no_page: set[str] = set()
    base = Path(os.environ.get("STYLE_EVAL_DIR", "/tmp/watcloud-style-eval"))
    for r in rows:
        word = str(r["matched"]).strip()
        ok = flagged(checker, word)
        alone += ok
        found = any(
            f.rule == "spelling" and f.matched in word
            for f in checker.check_text(str(r["context"]) + "\n", "context.md")
        )
        in_context += found
        page = on_page(checker, r, base)
        paged += bool(page)
        if page is None:
            no_page.add(f"{r['package']}/{r['path']}")
        if not ok:
            missed.append(word)
    n = len(rows)
    print(f"codespell's right findings (lowercase, >= 4 letters) on {', '.join(splits)}: {n}")
    print(f"flagged by our speller on its own:   {alone}/{n} = {alone / max(1, n):.0%}")
    print(f"reported by the checker in context: {in_context}/{n} = {in_context / max(1, n):.0%}")
    print(f"reported by the checker in its page: {paged}/{n} = {paged / max(1, n):.0%}")
    print(f"not flagged: {', '.join(sorted(set(missed)))}")
    if no_page:
        print(f"pages not in {base}: {', '.join(sorted(no_page))}")


if __name__ == "__main__":
    main()
