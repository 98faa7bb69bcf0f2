"""Large files: `watcloud style check` on one Markdown file of growing size, peak memory
(max RSS of the child) and time, beside codespell on the same file.

The file is the WATcloud docs corpus (../shared/data/docs/docs-corpus.tar.gz) concatenated
until it reaches each size, in a temp dir. Claim: memory flat in file size (the file is
checked per block of about 256 KiB), time linear.

    .venv/bin/python benchmarks/style_large.py            # 1.5, 5 and 15 MB
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from style_common import BIN, doc_files, extract_corpus, temp_dir

SIZES_MB = (1.5, 5.0, 15.0)


def run(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall s, cpu s, max RSS MiB) of one run in a fresh child (wait4 reports its own RSS)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024


def main() -> None:
    with temp_dir() as tmp:
        root = extract_corpus(Path(tmp) / "corpus")
        corpus = "\n\n".join(p.read_text("utf-8") for p in doc_files(root))
        work = Path(tmp) / "big"
        work.mkdir()
        print(f"{'size MB':>8}{'tool':>12}{'wall s':>9}{'cpu s':>8}{'max RSS MiB':>13}")
        rows = []
        for mb in SIZES_MB:
            target = int(mb * 1_000_000)
            path = work / "big.md"
            with path.open("w", encoding="utf-8") as fh:
                written = 0
                while written < target:
                    fh.write(corpus + "\n\n")
                    written += len(corpus.encode()) + 2
            size = path.stat().st_size / 1e6
            ours = run([str(BIN / "watcloud"), "style", "check", "big.md"], work)
            peer = run([str(BIN / "codespell"), "big.md"], work)
            rows.append((size, ours, peer))
            for name, (w, c, rss) in (("watcloud", ours), ("codespell", peer)):
                print(f"{size:>8.1f}{name:>12}{w:>9.2f}{c:>8.2f}{rss:>13}")
        base = rows[0]
        for size, ours, peer in rows:
            print(
                f"{size:5.1f} MB: watcloud/codespell wall {ours[0] / peer[0]:.1f}x, "
                f"cpu {ours[1] / peer[1]:.1f}x; watcloud time per MB {ours[1] / size:.2f} s "
                f"(first size: {base[1][1] / base[0]:.2f} s); RSS {ours[2]} MiB"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
