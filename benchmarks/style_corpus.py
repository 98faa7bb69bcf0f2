"""False positives on the real WATcloud docs, and the tools side by side in one run.

    .venv/bin/python benchmarks/style_corpus.py

Unpacks ../shared/data/docs/docs-corpus.tar.gz into a temp dir, runs `watcloud style check`
(default settings, and with --harper), codespell (what WATcloud runs today), proselint and
plain harper-py (default rules, each file as Markdown) on the same .md/.mdx files, and prints
findings, reviewed true findings and time, with our time as a ratio of codespell's.

"True finding" = something an editor would change as wrong: a misspelling, a grammar or
punctuation error, or a violation of a house rule of the guidelines (brand names, units,
one spelling of a term per page). Style opinions (clichés, "very", curly quotes, title case)
are not counted as true. The review of every finding of ours, and of the other tools'
findings that are not obviously in a noise category, is recorded in REVIEWED_TRUE below.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import style_common as sc
from watcloud.style.mdx import extract

# (path, line) -> (why it is an error, rule names of any tool that report exactly it)
REVIEWED_TRUE: dict[tuple[str, int], tuple[str, set[str]]] = {
    ("pages/docs/compute-cluster/ssh.mdx", 66): (
        "'in there.You'll': missing space after a sentence",
        {"missing-space"},
    ),
    ("pages/get-involved/join.mdx", 23): (
        "'errily' is a misspelling of 'eerily'",
        {"spelling", "SpellCheck"},
    ),
    ("pages/blog/using-slurm-to-run-github-actions.mdx", 146): (
        "'Github' should be 'GitHub'",
        {"brand-names", "OrthographicConsistency"},
    ),
    ("pages/blog/using-slurm-to-run-github-actions.mdx", 103): (
        "'SLURM' in a post that writes 'Slurm' 29 times",
        {"consistency-terms"},
    ),
    ("pages/docs/community-docs/watcloud/kubernetes-cheat-sheet.mdx", 16): (
        "'azure kubernetes' in prose; the page writes 'Kubernetes'",
        {"consistency-terms", "SpellCheck"},
    ),
    ("pages/docs/community-docs/watcloud/user-requests.mdx", 28): (
        "'worst case scenario' as a modifier: 'worst-case scenario' (we do not check this)",
        {"WorstCaseScenario", "harper.WorstCaseScenario"},
    ),
}


def is_true(path: str, line: int, rule: str) -> bool:
    entry = REVIEWED_TRUE.get((path, line))
    return entry is not None and (rule in entry[1] or rule.removeprefix("harper.") in entry[1])


def blind_report(root_files: dict[str, str], prose_words: int) -> None:
    """The same check in-process, without the vocabulary block that was added while
    reviewing this corpus: what the spelling check does on docs it has not seen."""
    from watcloud.style import spelling
    from watcloud.style.engine import Checker

    full = spelling.builtin_vocabulary()
    lines = (Path(spelling.__file__).parent / "data" / "vocabulary.txt").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# Added while reviewing"))
    # That block ends where the next "# Added while ..." block (added for other docs) begins.
    end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("# Added")), None)
    added = {w.strip().lower() for w in lines[start:end] if w.strip() and not w.startswith("#")}
    spelling.builtin_vocabulary.cache_clear()
    original = spelling.builtin_vocabulary
    spelling.builtin_vocabulary = lambda: frozenset(full - added)  # type: ignore[assignment]
    try:
        checker = Checker()
        found = [f for p, t in root_files.items() for f in checker.check_text(t, p)]
    finally:
        spelling.builtin_vocabulary = original  # type: ignore[assignment]
    false = [f for f in found if not is_true(f.path, f.line, f.rule)]
    print()
    print(
        f"without the {len(added)} vocabulary entries added while reviewing this corpus: "
        f"{len(found)} findings, {len(false)} false = "
        f"{1000 * len(false) / prose_words:.2f} per 1,000 prose words"
    )
    print("  false: " + ", ".join(sorted({f.matched for f in false})))


def main() -> None:
    with sc.temp_dir() as d:
        root = sc.extract_corpus(Path(d))
        files = sc.doc_files(root)
        texts = [f.read_text("utf-8") for f in files]
        files_texts = {str(f.relative_to(root)): t for f, t in zip(files, texts, strict=True)}
        prose_words = sum(extract(t).word_count() for t in texts)
        raw_words = sum(len(t.split()) for t in texts)
        ours_t, ours_f = sc.ours(root, repeat=5)
        harp_t, harp_f = sc.ours(root, ["--harper"], repeat=2)
        peers = sc.run_peers(root, files, repeat=5)

    print(
        f"corpus: {len(files)} files, {raw_words} words (whitespace-separated), "
        f"{prose_words} words of prose after masking code/markup"
    )
    print()
    rows = [("watcloud style", ours_t, ours_f), ("watcloud style --harper", harp_t, harp_f)]
    rows += [(name, t, f) for name, (t, f) in peers.items()]
    cs = peers["codespell"][0]
    print(
        f"{'tool':<28}{'findings':>9}{'true':>6}{'wall s':>9}{'cpu s':>8}"
        f"{'wall/codespell':>16}{'cpu/codespell':>15}"
    )
    for name, t, found in rows:
        true = sum(1 for x in found if is_true(str(x["path"]), int(x["line"]), str(x["rule"])))  # type: ignore[call-overload]
        print(
            f"{name:<28}{len(found):>9}{true:>6}{t.wall:>9.2f}{t.cpu:>8.2f}"
            f"{t.wall / cs.wall:>16.1f}{t.cpu / max(cs.cpu, 1e-9):>15.1f}"
        )
    print()
    false = [x for x in ours_f if not is_true(str(x["path"]), int(x["line"]), str(x["rule"]))]  # type: ignore[call-overload]
    print(
        f"watcloud style: {len(ours_f) - len(false)} true, {len(false)} false positives = "
        f"{1000 * len(false) / prose_words:.2f} per 1,000 prose words "
        f"({1000 * len(false) / raw_words:.2f} per 1,000 words of the files)"
    )
    for x in ours_f:
        mark = "TRUE " if x not in false else "FALSE"
        print(f"  {mark} {x['path']}:{x['line']}:{x['column']} {x['rule']} {x['message']}")
    blind_report(root_files=files_texts, prose_words=prose_words)
    print()
    print("reviewed true errors in the corpus (any tool):")
    for (path, line), (why, _) in sorted(REVIEWED_TRUE.items()):
        print(f"  {path}:{line}: {why}")


if __name__ == "__main__":
    main()
