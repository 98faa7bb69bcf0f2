"""`watcloud quota list`: disk, CPU, memory and GPU figures from whatever this machine offers.

Each collector returns rows or nothing; none of them guesses. A figure nobody knows stays
`None` and prints as `unknown`, never as 100%. Pure parsers are separate from the readers
(`os.getxattr`, `quota`, `nvidia-smi`, cgroup files) so tests can feed them.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcloud.cluster import cgroup, slurm

XattrReader = Callable[[str, str], bytes]
NOT_CEPH = frozenset({errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOENT})


@dataclass(frozen=True)
class QuotaRow:
    resource: str
    used: float | None
    limit: float | None  # None: unknown (or see `unlimited`)
    unit: str  # bytes | cores | files | gpus
    source: str
    unlimited: bool = False  # a limit is known to be absent (0 / "max")

    @property
    def percent(self) -> float | None:
        if self.used is None or self.limit is None or self.limit <= 0:
            return None
        return 100.0 * self.used / self.limit

    def as_json(self) -> dict[str, Any]:
        pct = self.percent
        return {
            "resource": self.resource,
            "used": self.used,
            "limit": None if self.unlimited else self.limit,
            "unlimited": self.unlimited,
            "unit": self.unit,
            "percent": None if pct is None else round(pct, 1),
            "source": self.source,
        }


# ---- Ceph -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CephQuota:
    directory: str
    max_bytes: int | None  # None: no byte quota set
    max_files: int | None
    rbytes: int | None
    rfiles: int | None


def _xattr_int(read: XattrReader, path: str, name: str) -> int | None:
    """An integer xattr; None when unset. Other OSErrors propagate."""
    try:
        raw = read(path, name)
    except OSError as exc:
        if exc.errno in NOT_CEPH:
            return None
        raise
    try:
        value = int(raw.decode().strip().rstrip("\x00"))
    except ValueError:
        return None
    return value


def ceph_quota(home: Path, read: XattrReader = os.getxattr) -> CephQuota | None:
    """The Ceph quota covering `home`: the nearest directory upwards with
    `ceph.quota.max_bytes`/`max_files` set; None when `home` is not on CephFS."""
    try:
        home_rbytes = _xattr_int(read, str(home), "ceph.dir.rbytes")
    except OSError:
        return None
    if home_rbytes is None:
        return None  # not CephFS (ENODATA/ENOTSUP), or no such directory
    current = Path(home)
    rbytes: int | None = home_rbytes
    while True:
        p = str(current)
        try:
            max_bytes = _xattr_int(read, p, "ceph.quota.max_bytes") or None
            max_files = _xattr_int(read, p, "ceph.quota.max_files") or None
            if max_bytes or max_files:
                rfiles = _xattr_int(read, p, "ceph.dir.rfiles")
                return CephQuota(p, max_bytes, max_files, rbytes, rfiles)
            if current.parent == current:
                break
            current = current.parent
            rbytes = _xattr_int(read, str(current), "ceph.dir.rbytes")
            if rbytes is None:
                break  # walked off the CephFS mount
        except OSError:
            break
    rfiles = _xattr_int(read, str(home), "ceph.dir.rfiles")
    return CephQuota(str(home), None, None, home_rbytes, rfiles)


def ceph_rows(q: CephQuota) -> list[QuotaRow]:
    src = f"ceph xattrs on {q.directory}"
    return [
        QuotaRow("disk: home", q.rbytes, q.max_bytes, "bytes", src, unlimited=q.max_bytes is None),
        QuotaRow("files: home", q.rfiles, q.max_files, "files", src, unlimited=q.max_files is None),
    ]


# ---- quota(1) ---------------------------------------------------------------------------------

QUOTA_ARGS = ("quota", "--no-wrap")


@dataclass(frozen=True)
class UserQuota:
    filesystem: str
    used_bytes: int
    soft_bytes: int
    hard_bytes: int
    files: int
    soft_files: int
    hard_files: int


def _num(text: str) -> int:
    return int(text.rstrip("*"))


def parse_quota(text: str) -> list[UserQuota]:
    """`quota --no-wrap` output (blocks in KiB; a `*` marks a soft limit exceeded, and then
    a grace column follows). `... : none` -> []."""
    out = []
    header_seen = False
    for line in text.splitlines():
        if line.strip().startswith("Filesystem"):
            header_seen = True
            continue
        if not header_seen or not line.strip():
            continue
        f = line.split()
        fs, rest = f[0], f[1:]
        try:
            blocks, bsoft, bhard = rest[0], rest[1], rest[2]
            rest = rest[3:]
            if blocks.endswith("*"):
                rest = rest[1:]  # block grace
            files, fsoft, fhard = rest[0], rest[1], rest[2]
            out.append(
                UserQuota(
                    fs,
                    _num(blocks) * 1024,
                    _num(bsoft) * 1024,
                    _num(bhard) * 1024,
                    _num(files),
                    _num(fsoft),
                    _num(fhard),
                )
            )
        except (IndexError, ValueError):
            raise ValueError(f"unexpected quota line: {line.strip()!r}") from None
    return out


def user_quota_rows(quotas: Sequence[UserQuota]) -> list[QuotaRow]:
    rows = []
    for q in quotas:
        blimit = q.hard_bytes or q.soft_bytes
        flimit = q.hard_files or q.soft_files
        rows.append(
            QuotaRow(
                f"disk: {q.filesystem}",
                q.used_bytes,
                blimit or None,
                "bytes",
                "quota(1)",
                unlimited=not blimit,
            )
        )
        rows.append(
            QuotaRow(
                f"files: {q.filesystem}",
                q.files,
                flimit or None,
                "files",
                "quota(1)",
                unlimited=not flimit,
            )
        )
    return rows


def run_tool(args: Sequence[str], timeout: float) -> str | None:
    """stdout of a tool that may be absent (None then). `quota` exits 1 when over quota."""
    exe = shutil.which(args[0])
    if exe is None:
        return None
    try:
        proc = subprocess.run(
            [exe, *args[1:]], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not proc.stdout):
        return None
    return proc.stdout


# ---- SLURM job: /tmp and allocation -------------------------------------------------------------


def du_bytes(root: Path) -> int:
    """Disk usage of a tree (allocated blocks), without following symlinks."""
    total = 0
    stack = [str(root)]
    seen: set[tuple[int, int]] = set()
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for e in entries:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
    return total


def job_rows(
    job: slurm.JobAllocation, tmp_used: int | None, limits: cgroup.CgroupLimits | None
) -> list[QuotaRow]:
    src = f"SLURM job {job.job_id} (AllocTRES)"
    rows = [
        QuotaRow(
            "cpu",
            limits.cpu_used if limits else None,
            job.cpus,
            "cores",
            src + (" + cgroup usage" if limits and limits.cpu_used is not None else ""),
        ),
        QuotaRow(
            "memory",
            limits.memory_used if limits else None,
            None if job.mem_mib is None else job.mem_mib * 2**20,
            "bytes",
            src + (" + cgroup usage" if limits and limits.memory_used is not None else ""),
        ),
    ]
    if job.tmpdisk_mib is not None:
        rows.append(
            QuotaRow(
                "disk: job /tmp",
                tmp_used,
                job.tmpdisk_mib * 2**20,
                "bytes",
                f"SLURM job {job.job_id} tmpdisk + du /tmp",
            )
        )
    return rows


# ---- GPUs -------------------------------------------------------------------------------------

NVIDIA_ARGS = (
    "nvidia-smi",
    "--query-gpu=index,name,utilization.gpu,memory.used,memory.total",
    "--format=csv,noheader,nounits",
)


@dataclass(frozen=True)
class Gpu:
    index: str
    name: str
    utilization: float | None
    memory_used_mib: float | None
    memory_total_mib: float | None


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # "[N/A]", "[Not Supported]"


def parse_nvidia_smi(text: str) -> list[Gpu]:
    gpus = []
    for line in text.splitlines():
        if not line.strip():
            continue
        f = [x.strip() for x in line.split(",")]
        if len(f) != 5:
            raise ValueError(f"unexpected nvidia-smi line: {line.strip()!r}")
        gpus.append(Gpu(f[0], f[1], _float(f[2]), _float(f[3]), _float(f[4])))
    return gpus


def gpu_rows(gpus: Sequence[Gpu], allocated: int | None, job_id: str | None) -> list[QuotaRow]:
    rows = []
    if allocated is not None:
        rows.append(
            QuotaRow(
                "gpus",
                len(gpus) if gpus else None,
                allocated,
                "gpus",
                f"SLURM job {job_id} (AllocTRES)" + (" + nvidia-smi" if gpus else ""),
            )
        )
    for g in gpus:
        util = f", {g.utilization:.0f}% busy" if g.utilization is not None else ""
        rows.append(
            QuotaRow(
                f"gpu {g.index} memory ({g.name})",
                None if g.memory_used_mib is None else g.memory_used_mib * 2**20,
                None if g.memory_total_mib is None else g.memory_total_mib * 2**20,
                "bytes",
                f"nvidia-smi{util}",
            )
        )
    return rows


# ---- login-node fallback from machine-info ------------------------------------------------------


def login_node_quota(payload: Any, hostname: str) -> tuple[str, float | None, int | None] | None:
    """(node, cpu cores, memory bytes) for this login node from machine-info, else None.
    `cpu_quota` there is a percentage of one core."""
    nodes = (payload or {}).get("machines", {}).get("slurm_login_nodes", [])
    short = hostname.split(".")[0]
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, Mapping):
            continue
        names = {str(node.get("name", ""))} | {
            str(h).split(".")[0] for h in node.get("hostnames", []) or []
        }
        if short in names or hostname in names:
            cpu = node.get("cpu_quota")
            mem = node.get("memory_quota")
            return (
                str(node.get("name")),
                cpu / 100 if isinstance(cpu, int | float) and cpu > 0 else None,
                int(mem) if isinstance(mem, int | float) and mem > 0 else None,
            )
    return None


def _positive(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(value)


def published_home_quota(payload: Any) -> tuple[int | None, int | None, str] | None:
    """(bytes limit, inodes limit, filesystem type) of the `home` entry of machine-info's
    `global_user_disk_quotas` (`{"name": "home", "fstype": ..., "default": {...}}`), else None.
    A limit of 0 means none."""
    entries = payload.get("global_user_disk_quotas") if isinstance(payload, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or entry.get("name") != "home":
            continue
        default = entry.get("default")
        if not isinstance(default, Mapping):
            return None

        return (
            _positive(default.get("bytes_hard_limit")),
            _positive(default.get("inodes_hard_limit")),
            str(entry.get("fstype", "")),
        )
    return None


def published_home_rows(payload: Any, ceph: CephQuota | None) -> list[QuotaRow]:
    """Home rows from the published quota, with usage from Ceph's xattrs when readable."""
    found = published_home_quota(payload)
    if found is None or (found[0] is None and found[1] is None):
        return []
    max_bytes, max_files, fstype = found
    src = "machine-info global_user_disk_quotas" + (f" ({fstype})" if fstype else "")
    if ceph is not None:
        src += f" + ceph xattrs on {ceph.directory}"
    rows = [QuotaRow("disk: home", ceph.rbytes if ceph else None, max_bytes, "bytes", src)]
    if max_files is not None:
        rows.append(QuotaRow("files: home", ceph.rfiles if ceph else None, max_files, "files", src))
    return rows


# ---- free space (never a quota) -----------------------------------------------------------------


def free_space_row(path: Path) -> QuotaRow | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    free = st.f_bavail * st.f_frsize
    total = st.f_blocks * st.f_frsize
    return QuotaRow(
        "disk: home (no quota found)",
        None,
        None,
        "bytes",
        f"filesystem free space, not a quota: {human_bytes(free)} free of {human_bytes(total)}",
    )


def human_bytes(n: float | None) -> str:
    if n is None:
        return "unknown"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


# ---- putting it together ----------------------------------------------------------------------


@dataclass
class QuotaContext:
    home: Path
    sysfs_root: Path
    proc_root: Path
    tmp_dir: Path
    env: Mapping[str, str]
    hostname: str
    timeout: float = 3.0
    cpu_sample_seconds: float = 0.25
    read_xattr: XattrReader = os.getxattr
    machine_info: Callable[[], Any] = lambda: None  # fetched only when needed
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    fetched: list[Any] = field(default_factory=list)  # machine-info once fetched (or None)


def collect(ctx: QuotaContext) -> tuple[list[QuotaRow], list[str]]:
    """Every row this machine can answer, and notes on what could not be read."""
    rows: list[QuotaRow] = []
    notes: list[str] = []

    # disk: Ceph home quota, else the one the cluster publishes in machine-info; classic user
    # quotas; else free space (labelled as such)
    ceph = ceph_quota(ctx.home, ctx.read_xattr)
    published = []
    if ceph is None or (ceph.max_bytes is None and ceph.max_files is None):
        published = published_home_rows(_machine_info(ctx, notes), ceph)
    if published:
        rows += published
    elif ceph is not None:
        rows += ceph_rows(ceph)
    quota_out = run_tool(QUOTA_ARGS, ctx.timeout)
    if quota_out is not None:
        try:
            rows += user_quota_rows(parse_quota(quota_out))
        except ValueError as exc:
            notes.append(f"quota(1): {exc}")
    if not rows and (free := free_space_row(ctx.home)) is not None:
        rows.append(free)

    # SLURM job allocation
    job: slurm.JobAllocation | None = None
    job_id = ctx.env.get("SLURM_JOB_ID")
    if job_id:
        try:
            text = slurm.run(("scontrol", "show", "job", "--oneliner", job_id), ctx.timeout)
            job = slurm.parse_job(text)
        except slurm.SlurmError as exc:
            notes.append(f"SLURM job {job_id}: {exc}")

    # CPU and memory: cgroup v2
    limits: cgroup.CgroupLimits | None = None
    try:
        limits = cgroup.read_limits(
            ctx.sysfs_root,
            ctx.proc_root,
            sample_seconds=ctx.cpu_sample_seconds,
            sleep=ctx.sleep,
            clock=ctx.clock,
        )
    except cgroup.CgroupUnavailable as exc:
        notes.append(f"cgroup: {exc}")

    if job is not None:
        tmp_used = du_bytes(ctx.tmp_dir) if job.tmpdisk_mib is not None else None
        rows += job_rows(job, tmp_used, limits)
    else:
        rows += cpu_memory_rows(limits, ctx, notes)

    # GPUs
    gpus: list[Gpu] = []
    smi = run_tool(NVIDIA_ARGS, ctx.timeout)
    if smi is not None:
        try:
            gpus = parse_nvidia_smi(smi)
        except ValueError as exc:
            notes.append(f"nvidia-smi: {exc}")
    rows += gpu_rows(gpus, job.gpus if job else None, job.job_id if job else None)
    return rows, notes


def _machine_info(ctx: QuotaContext, notes: list[str]) -> Any:
    """machine-info, fetched at most once per run (a failure is one note, not a crash)."""
    if not ctx.fetched:
        try:
            ctx.fetched.append(ctx.machine_info())
        except Exception as exc:
            ctx.fetched.append(None)
            notes.append(f"machine-info: {exc}")
    return ctx.fetched[0]


def cpu_memory_rows(
    limits: cgroup.CgroupLimits | None, ctx: QuotaContext, notes: list[str]
) -> list[QuotaRow]:
    cpu_used = limits.cpu_used if limits else None
    mem_used = limits.memory_used if limits else None
    if limits is not None and (limits.cpu_limit is not None or limits.memory_limit is not None):
        src = f"cgroup {limits.path}"
        return [
            QuotaRow("cpu", cpu_used, limits.cpu_limit, "cores", src,
                     unlimited=limits.cpu_limit is None),
            QuotaRow("memory", mem_used, limits.memory_limit, "bytes", src,
                     unlimited=limits.memory_limit is None),
        ]  # fmt: skip
    # no cgroup limit: the login-node quotas WATcloud publishes in machine-info
    info = _machine_info(ctx, notes)
    node = login_node_quota(info, ctx.hostname) if info is not None else None
    if node is not None:
        name, cores, mem = node
        src = f"machine-info (login node {name})" + (" + cgroup usage" if limits else "")
        return [
            QuotaRow("cpu", cpu_used, cores, "cores", src, unlimited=cores is None),
            QuotaRow("memory", mem_used, mem, "bytes", src, unlimited=mem is None),
        ]
    if limits is not None:
        src = f"cgroup {limits.path} (no limit set)"
        return [
            QuotaRow("cpu", cpu_used, None, "cores", src, unlimited=True),
            QuotaRow("memory", mem_used, None, "bytes", src, unlimited=True),
        ]
    return [
        QuotaRow("cpu", None, None, "cores", "unknown (no cgroup v2, not a known login node)"),
        QuotaRow("memory", None, None, "bytes", "unknown (no cgroup v2, not a known login node)"),
    ]
