"""Benchmark: `watcloud expiry scan` against GNU find on a generated tree (warm cache).

    python benchmarks/expiry_scan.py [--files 1000000] [--base /var/tmp] [--repeats 5] [--keep]

Prints, in one run on the same tree:
- wall time of `watcloud expiry scan TREE --output json` against
  `find TREE -xdev -printf '%A@ %T@ %C@ %s %b %U %i %p\\n'` (to /dev/null), median of
  alternating runs after warming the cache, and their ratio (target <= 1.0);
- agreement: the scan's `--list-files` against find's output, every entry and timestamp
  (find's decimal seconds converted to nanoseconds);
- peak memory of the scan at a quarter and at all of the tree (largest process, and the
  whole process tree sampled from /proc), to show it does not grow with the file count;
- stat-family system calls per entry from `strace -c -f` (scan and find) on a quarter tree;
- an extrapolation to 50 million files.

The tree is TREE/gN/uMM/pNN/dNN/fNN: four groups of a quarter of the files each, 50 owners
(uids 20000..20049), about 40 files per directory, random atime/mtime over the past 400 days.
It is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

FIND_FMT = "%A@ %T@ %C@ %s %b %U %i %p\n"
STAT_CALLS = ("newfstatat", "fstat", "lstat", "stat", "statx", "fstatat64", "fstat64", "lstat64")
USERS = 50
FILES_PER_DIR = 40
DIRS_PER_PROJECT = 25


def watcloud_exe() -> str:
    exe = Path(sys.executable).parent / "watcloud"
    return str(exe) if exe.exists() else (shutil.which("watcloud") or "watcloud")


def generate(root: Path, files: int, seed: int = 5) -> int:
    """Create the tree; returns the number of regular files made."""
    rng = random.Random(seed)
    now = time.time()
    per_group = files // 4
    made = 0
    users_per_group = USERS // 4 + 1
    for g in range(4):
        left = per_group
        u = 0
        while left > 0:
            uid = 20000 + (g * users_per_group + u) % USERS
            p = 0
            while left > 0 and p < 20:
                for d in range(DIRS_PER_PROJECT):
                    if left <= 0:
                        break
                    dpath = root / f"g{g}" / f"u{u:02d}" / f"p{p:02d}" / f"d{d:02d}"
                    os.makedirs(dpath, exist_ok=True)
                    dfd = os.open(dpath, os.O_RDONLY | os.O_DIRECTORY)
                    try:
                        for f in range(min(FILES_PER_DIR, left)):
                            name = f"f{f:02d}"
                            fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=dfd)
                            if f % 8 == 0:
                                os.write(fd, b"x" * rng.randrange(1, 9000))
                            os.close(fd)
                            age = rng.random() * 400 * 86400
                            t = int((now - age) * 1e9)
                            os.utime(name, ns=(t + rng.randrange(0, 10**9), t), dir_fd=dfd)
                            os.chown(name, uid, uid, dir_fd=dfd, follow_symlinks=False)
                            made += 1
                        left -= min(FILES_PER_DIR, left)
                    finally:
                        os.close(dfd)
                    os.chown(dpath, uid, uid)
                p += 1
            u += 1
    return made


class TreeRSS:
    """Samples the summed RSS of a process and all its descendants from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def pids(self) -> list[int]:
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        todo += [int(c) for c in fh.read().split()]
            except OSError:
                pass
        return out

    def run(self) -> None:
        while not self.stop.is_set():
            total = 0
            for pid in self.pids():
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        for line in fh:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1])
                except OSError:
                    pass
            self.peak_kib = max(self.peak_kib, total)
            time.sleep(0.02)

    def done(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.peak_kib


def run_timed(cmd: list[str]) -> tuple[float, int, int, float]:
    """Wall seconds, peak RSS of the largest process in the tree (KiB, from wait4's rusage,
    which covers the child and its reaped descendants), peak summed tree RSS (KiB) and CPU
    seconds (user + system, the child and its descendants)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeRSS(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree_peak = sampler.done()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.read()[-500:]!r}")
    return wall, usage.ru_maxrss, tree_peak, usage.ru_utime + usage.ru_stime


def scan_cmd(tree: Path, extra: list[str] | None = None) -> list[str]:
    return [watcloud_exe(), "expiry", "scan", str(tree), "--output", "json", *(extra or [])]


def find_cmd(tree: Path) -> list[str]:
    return ["find", str(tree), "-xdev", "-printf", FIND_FMT]


def to_ns(field: bytes) -> bytes:
    sec, _, frac = field.partition(b".")
    return str(int(sec) * 10**9 + int((frac[:9] or b"0").ljust(9, b"0"))).encode()


def agreement(tree: Path, work: Path) -> tuple[int, int, int]:
    """(entries listed by find, entries listed by the scan, entries that differ)."""
    listing = work / "scan-listing.txt"
    subprocess.run(
        scan_cmd(tree, ["--list-files", str(listing)]), stdout=subprocess.DEVNULL, check=True
    )
    found = subprocess.run(find_cmd(tree), capture_output=True, check=True).stdout
    expected = set()
    for line in found.split(b"\n"):
        if line:
            a, m, c, rest = line.split(b" ", 3)
            expected.add(b" ".join([to_ns(a), to_ns(m), to_ns(c), rest]))
    got = set(listing.read_bytes().splitlines())
    return len(expected), len(got), len(expected ^ got)


def strace_counts(cmd: list[str], work: Path, name: str) -> dict[str, int]:
    out = work / f"strace-{name}.txt"
    subprocess.run(
        ["strace", "-f", "-c", "-o", str(out), *cmd], stdout=subprocess.DEVNULL, check=True
    )
    counts: dict[str, int] = {}
    for line in out.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in STAT_CALLS and parts[3].isdigit():
            counts[parts[-1]] = int(parts[3])
    return counts


def cold_cache(work: Path, files: int, repeats: int) -> None:
    """Cold cache, as root: the tree on an ext4 image behind a loop device with direct I/O
    (the host's page cache is bypassed), unmounted and mounted again before every run so
    every inode and directory block is read from the disk."""
    img, mnt = work / "cold.img", work / "cold-mnt"
    with open(img, "wb") as fh:
        fh.truncate(4 << 30)
    subprocess.run(
        [
            "mkfs.ext4",
            "-q",
            "-F",
            "-N",
            str(int(files * 1.2) + 10000),
            "-E",
            "lazy_itable_init=0,lazy_journal_init=0",
            str(img),
        ],
        check=True,
    )
    loop = subprocess.run(
        ["losetup", "-f", "--show", "--direct-io=on", str(img)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    mnt.mkdir()
    try:
        subprocess.run(["mount", "-o", "noatime", loop, str(mnt)], check=True)
        generate(mnt / "tree", files, seed=9)
        subprocess.run(["umount", str(mnt)], check=True)
        tree = mnt / "tree"
        variants = {
            "find": find_cmd(tree),
            "scan -p1": scan_cmd(tree, ["--processes", "1"]),
            "scan -p2": scan_cmd(tree, ["--processes", "2"]),
            "scan -p2 -t4": scan_cmd(tree, ["--processes", "2", "--threads", "4"]),
            "scan -p8": scan_cmd(tree, ["--processes", "8"]),
        }
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(repeats):
            for name, cmd in variants.items():
                subprocess.run(["mount", "-o", "noatime", loop, str(mnt)], check=True)
                try:
                    times[name].append(run_timed(cmd)[0])
                finally:
                    subprocess.run(["umount", str(mnt)], check=True)
        fm = statistics.median(times["find"])
        for name, ts in times.items():
            m = statistics.median(ts)
            print(
                f"cold cache, {files:,} files: {name:<13} wall median {m:.2f} s "
                f"(runs: {', '.join(f'{x:.2f}' for x in ts)}); ratio to find {m / fm:.2f}"
            )
    finally:
        subprocess.run(["umount", str(mnt)], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(["losetup", "-d", loop], check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--base", default="/var/tmp")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    ap.add_argument("--tree", help="reuse an existing generated tree")
    ap.add_argument(
        "--cold",
        type=int,
        default=0,
        metavar="FILES",
        help="also measure a cold cache on a loop-mounted ext4 image of FILES files (root)",
    )
    ap.add_argument("--cold-only", action="store_true", help="only the cold-cache part")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="expiry-bench-", dir=args.base))
    tree = Path(args.tree) if args.tree else work / "tree"
    print(
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"python {sys.version.split()[0]}, tree {tree}"
    )
    try:
        if args.cold and os.geteuid() == 0:
            cold_cache(work, args.cold, 3)
        elif args.cold:
            print("cold cache: needs root (loop mount); skipped")
        if args.cold_only:
            return
        if not args.tree:
            t0 = time.perf_counter()
            n = generate(tree, args.files)
            print(f"generated {n:,} files in {time.perf_counter() - t0:.0f} s")
        # Warm the cache (and let find move directory atimes once: it reads without O_NOATIME).
        for _ in range(2):
            subprocess.run(find_cmd(tree), stdout=subprocess.DEVNULL, check=True)
            subprocess.run(scan_cmd(tree), stdout=subprocess.DEVNULL, check=True)

        scan_times, find_times, scan_rss, scan_tree_rss = [], [], [], []
        scan_cpu, find_cpu = [], []
        for _ in range(args.repeats):
            w, _, _, cpu = run_timed(find_cmd(tree))
            find_times.append(w)
            find_cpu.append(cpu)
            w, rss, tree_rss, cpu = run_timed(scan_cmd(tree))
            scan_times.append(w)
            scan_cpu.append(cpu)
            scan_rss.append(rss)
            scan_tree_rss.append(tree_rss)
        fm, sm = statistics.median(find_times), statistics.median(scan_times)

        def runs(xs: list[float]) -> str:
            return ", ".join(f"{x:.2f}" for x in xs)

        print(
            f"find  wall median {fm:.2f} s (runs: {runs(find_times)}); "
            f"CPU median {statistics.median(find_cpu):.2f} s"
        )
        print(
            f"scan  wall median {sm:.2f} s (runs: {runs(scan_times)}); "
            f"CPU median {statistics.median(scan_cpu):.2f} s (all processes)"
        )
        print(
            f"ratio scan/find wall: median {sm / fm:.2f}, best-vs-best "
            f"{min(scan_times) / min(find_times):.2f}; CPU: "
            f"{statistics.median(scan_cpu) / statistics.median(find_cpu):.2f}"
        )

        one = [run_timed(scan_cmd(tree, ["--processes", "1"])) for _ in range(3)]
        om = statistics.median(r[0] for r in one)
        print(
            f"scan --processes 1: wall median {om:.2f} s (ratio to find {om / fm:.2f}), "
            f"CPU median {statistics.median(r[3] for r in one):.2f} s"
        )

        four = [run_timed(scan_cmd(tree, ["--processes", "1", "--threads", "4"])) for _ in range(3)]
        tm = statistics.median(r[0] for r in four)
        print(
            f"scan --processes 1 --threads 4: wall median {tm:.2f} s "
            f"({tm / om:.2f}x one thread: the GIL on a warm cache)"
        )

        quarter = tree / "g0"
        q_rss = [run_timed(scan_cmd(quarter)) for _ in range(3)]
        print(
            f"peak RSS, largest process: quarter tree {max(r[1] for r in q_rss) / 1024:.0f} MiB, "
            f"full tree {max(scan_rss) / 1024:.0f} MiB"
        )
        print(
            f"peak RSS, whole process tree (sampled): quarter {max(r[2] for r in q_rss) / 1024:.0f}"
            f" MiB, full {max(scan_tree_rss) / 1024:.0f} MiB"
        )

        n_find, n_scan, differ = agreement(tree, work)
        print(f"agreement: find listed {n_find:,} entries, scan {n_scan:,}, differing {differ}")

        if shutil.which("strace"):
            q_entries = sum(
                1
                for _ in subprocess.run(
                    ["find", str(quarter), "-xdev"], capture_output=True, check=True
                ).stdout.splitlines()
            )
            empty = work / "empty"
            empty.mkdir()
            base = sum(strace_counts(scan_cmd(empty), work, "baseline").values())
            print(
                f"strace baseline (scan of an empty directory: interpreter start-up and "
                f"imports): {base:,} stat-family calls"
            )
            for name, cmd in (
                ("scan", scan_cmd(quarter, ["--processes", "1"])),
                ("scan-2proc", scan_cmd(quarter)),
                ("find", find_cmd(quarter)),
            ):
                counts = strace_counts(cmd, work, name)
                total = sum(counts.values())
                net = total - base if name.startswith("scan") else total
                print(
                    f"strace {name}: {total:,} stat-family calls for {q_entries:,} entries = "
                    f"{total / q_entries:.3f} per entry ({net / q_entries:.3f} without start-up)"
                    f" {counts}"
                )
        else:
            print("strace not installed: stat-call count skipped")

        per_file = sm / max(n_find, 1)
        print(
            f"extrapolation, 50M files at this rate (warm cache, CPU-bound): "
            f"{per_file * 50e6 / 60:.1f} min; peak memory stays at about "
            f"{max(scan_tree_rss) / 1024:.0f} MiB (no per-file state)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
