"""Benchmark: `watcloud users apply` against the per-user way (shadow-utils, one process each).

Everything is timed as whole processes, each run into a fresh fake root (--root) holding a small
Debian-like base (root, daemon, bin, sys, nobody and their groups):

  * 300 users + 50 groups from scratch: `watcloud users apply` vs. `groupadd --root` per group,
    `useradd --root` per user (-U private group, -G memberships), then one `chpasswd -e --root`,
    the way Ansible's user module and WATcloud's earlier provisioner do it. Accounts only on
    both sides (no homes); a second pair adds homes from /etc/skel (useradd -m vs create_home).
  * the accounts-only 300 again from the same config written as YAML (libyaml's loader).
  * 10,000 users + 50 groups from scratch (watcloud only; the per-user way would take minutes).
  * a no-op run at 10,000 users (the second apply of the same config).

Needs root (useradd --root chroots). Usage: python benchmarks/users_apply.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HASH = (
    "$6$moJBpe0FoDqzMIqy$iLIQi30OUbrWTVdflGj7VvXe./80bhb6Ym6mURkYp9nqkjVszQrVJxFO8v0PIN41KVr5mTW6H4"
    "CDhvl.NzTd/0"
)
BASE = {
    "passwd": "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "shadow": "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"
    "sys:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
    "group": "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nshadow:x:42:\nusers:x:100:\n"
    "nogroup:x:65534:\n",
    "gshadow": "root:*::\ndaemon:*::\nbin:*::\nsys:*::\nshadow:*::\nusers:*::\nnogroup:*::\n",
}


def fresh_root(base: Path, name: str) -> Path:
    root = base / name
    etc = root / "etc"
    etc.mkdir(parents=True)
    for kind, text in BASE.items():
        (etc / kind).write_text(text)
        os.chmod(etc / kind, 0o640 if "shadow" in kind else 0o644)
    shutil.copytree("/etc/skel", etc / "skel", symlinks=True)
    # useradd (shadow-utils) reads these inside the chroot
    for f in ("login.defs", "default/useradd"):
        if Path("/etc", f).exists():
            (etc / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy("/etc/" + f, etc / f)
    (root / "home").mkdir()
    return root


def make_config(n_users: int, n_groups: int, homes: bool) -> dict[str, object]:
    groups = [{"groupname": f"grp{g:03d}", "gid": 50000 + g} for g in range(n_groups)]
    users = []
    for i in range(n_users):
        extra = sorted({f"grp{(i * 7) % n_groups:03d}", f"grp{(i * 13 + 1) % n_groups:03d}"})
        users.append(
            {
                "username": f"user{i:05d}",
                "uid": 10000 + i,
                "password": HASH,
                "additional_groups": extra,
                "comment": f"User {i}",
            }
        )
    return {
        "managed_uid_range": [10000, 49999],
        "managed_gid_range": [10000, 50999],
        "create_home": homes,
        "groups": groups,
        "users": users,
    }


CPU: dict[str, list[float]] = {}
# An installed watcloud runs from compiled bytecode (pip compiles it at install time). A shell
# with PYTHONDONTWRITEBYTECODE set would make every timed run compile the tool's modules again
# (about 20 ms here), so the children run without it and one untimed warm-up run comes first.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(cmds: list[list[str]], label: str = "") -> float:
    """Wall-clock seconds of the commands; their CPU seconds are kept under `label`."""
    os.sync()  # neither side pays for the other's pending writeback
    cpu0 = _child_cpu()
    start = time.perf_counter()
    for cmd in cmds:
        subprocess.run(cmd, check=True, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    CPU.setdefault(label, []).append(_child_cpu() - cpu0)
    return wall


def watcloud_cmd(config: Path, root: Path) -> list[str]:
    exe = Path(sys.executable).parent / "watcloud"
    return [str(exe), "users", "apply", "--config", str(config), "--root", str(root), "--yes"]


def per_user_way(cfg: dict[str, object], root: Path, homes: bool, label: str) -> float:
    os.sync()
    cpu0 = _child_cpu()
    start = time.perf_counter()
    for g in cfg["groups"]:  # type: ignore[attr-defined]
        subprocess.run(
            ["groupadd", "--root", str(root), "-g", str(g["gid"]), g["groupname"]],
            check=True,
            capture_output=True,
        )
    for u in cfg["users"]:  # type: ignore[attr-defined]
        cmd = ["useradd", "--root", str(root), "-u", str(u["uid"]), "-U", "-c", u["comment"]]
        cmd += ["-G", ",".join(u["additional_groups"]), "-s", "/bin/bash"]
        cmd += ["-m"] if homes else ["-M"]
        subprocess.run([*cmd, u["username"]], check=True, capture_output=True)
    lines = "".join(f"{u['username']}:{u['password']}\n" for u in cfg["users"])  # type: ignore[attr-defined]
    subprocess.run(
        ["chpasswd", "-e", "--root", str(root)],
        check=True,
        capture_output=True,
        input=lines.encode(),
    )
    wall = time.perf_counter() - start
    CPU.setdefault(label, []).append(_child_cpu() - cpu0)
    return wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="runs per watcloud measurement (median)")
    ap.add_argument("--peer-repeat", type=int, default=1, help="runs of the per-user way")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root: useradd --root chroots into the fake root", file=sys.stderr)
        return 2
    for tool in ("useradd", "groupadd", "chpasswd"):
        if shutil.which(tool) is None:
            print(f"{tool} not found (Debian package 'passwd')", file=sys.stderr)
            return 2
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="users-bench-") as tmp:
        base = Path(tmp)
        n = 0

        def fresh() -> Path:
            nonlocal n
            n += 1
            return fresh_root(base, f"r{n}")

        warm = base / "warm-up.json"
        warm.write_text(json.dumps(make_config(3, 2, True)))
        timed([watcloud_cmd(warm, fresh())], "warm-up")

        for homes in (False, True):
            label = "with homes" if homes else "accounts only"
            cfg = make_config(300, 50, homes)
            cpath = base / f"c300-{homes}.json"
            cpath.write_text(json.dumps(cfg))
            ours_l, peer_l = f"ours-{homes}", f"peer-{homes}"
            ours = statistics.median(
                timed([watcloud_cmd(cpath, root := fresh())], ours_l) for _ in range(args.repeat)
            )
            peer = statistics.median(
                per_user_way(cfg, fresh(), homes, peer_l) for _ in range(args.peer_repeat)
            )
            ours_cpu, peer_cpu = statistics.median(CPU[ours_l]), statistics.median(CPU[peer_l])
            # watcloud produced the users (a failed run raises above)
            assert "user00299:x:10299:" in (root / "etc/passwd").read_text()
            results[f"300 users + 50 groups, {label}: watcloud"] = ours
            results[f"300 users + 50 groups, {label}: per-user useradd"] = peer
            results[f"300 users + 50 groups, {label}: watcloud cpu"] = ours_cpu
            results[f"300 users + 50 groups, {label}: per-user useradd cpu"] = peer_cpu
            print(
                f"300 users + 50 groups ({label}): watcloud {ours:.3f} s wall / {ours_cpu:.3f} s "
                f"CPU; per-user groupadd/useradd/chpasswd {peer:.2f} s wall "
                f"({peer / 300 * 1000:.1f} ms a user) / {peer_cpu:.2f} s CPU: "
                f"{peer / ours:.1f}x faster (wall), {peer_cpu / ours_cpu:.1f}x (CPU)",
                flush=True,
            )
            if not homes:  # the same config as YAML (libyaml's loader): what a maintainer writes
                ypath = base / "c300.yaml"
                ypath.write_text(yaml.safe_dump(cfg))
                ours_y = statistics.median(
                    timed([watcloud_cmd(ypath, fresh())], "yaml") for _ in range(args.repeat)
                )
                results["300 users + 50 groups, accounts only, YAML config: watcloud"] = ours_y
                print(
                    f"  the same config as YAML: watcloud {ours_y:.3f} s wall: "
                    f"{peer / ours_y:.1f}x faster",
                    flush=True,
                )

        cfg = make_config(10000, 50, False)
        cpath = base / "c10k.json"
        cpath.write_text(json.dumps(cfg))
        scratch, noop = [], []
        for _ in range(args.repeat):
            root = fresh()
            scratch.append(timed([watcloud_cmd(cpath, root)], "10k"))
            mtime = (root / "etc/passwd").stat().st_mtime_ns
            noop.append(timed([watcloud_cmd(cpath, root)], "noop"))
            assert (root / "etc/passwd").stat().st_mtime_ns == mtime, "no-op run wrote passwd"
        s10k, n10k = statistics.median(scratch), statistics.median(noop)
        c10k, cnoop = statistics.median(CPU["10k"]), statistics.median(CPU["noop"])
        print(
            f"10,000 users + 50 groups from scratch: watcloud {s10k:.3f} s wall / {c10k:.3f} s "
            "CPU (target < 2 s)"
        )
        print(
            f"no-op at 10,000 users: watcloud {n10k:.3f} s wall / {cnoop:.3f} s CPU (target < 1 s)"
        )
        results["10k from scratch: watcloud cpu"] = c10k
        results["10k no-op: watcloud cpu"] = cnoop
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.2f} during the run")
        results["10k from scratch: watcloud"] = s10k
        results["10k no-op: watcloud"] = n10k
    print(json.dumps({k: round(v, 4) for k, v in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
