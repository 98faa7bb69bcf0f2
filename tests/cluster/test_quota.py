"""`quota list` logic: Ceph xattrs (injected reader + the real os.getxattr), quota(1),
nvidia-smi and scontrol as fake executables on PATH, cgroup trees, machine-info fallback."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cluster.cgtree import SESSION, USER, cpu_stat, make_tree
from tests.cluster.conftest import serve_text, write_exe
from tests.cluster.data import machine_info_payload
from watcloud.cluster import quota
from watcloud.cluster.quota import QuotaContext, QuotaRow

GIB = 2**30

QUOTA_OK = """\
Disk quotas for user alice (uid 1000): 
     Filesystem  blocks   quota   limit   grace   files   quota   limit   grace
      /dev/sdb1   51200  1048576 2097152            1200       0       0        
"""  # noqa: W291 - quota(1) pads its lines
QUOTA_OVER = """\
Disk quotas for user alice (uid 1000): 
     Filesystem  blocks   quota   limit   grace   files   quota   limit   grace
/dev/mapper/vg-scratch 1100000* 1048576 2097152   6days    1200*   1000    2000   7days
"""  # noqa: W291
QUOTA_NONE = "Disk quotas for user alice (uid 1000): none\n"
SMI = "0, NVIDIA GeForce RTX 3090, 37, 10240, 24576\n1, NVIDIA GeForce RTX 3090, [N/A], 0, 24576\n"


def fake_xattrs(
    table: dict[str, dict[str, bytes]], not_ceph: int = errno.ENOTSUP
) -> Callable[[str, str], bytes]:
    """A reader like os.getxattr: ENODATA for an unset name on CephFS, ENOTSUP elsewhere."""

    def read(path: str, name: str) -> bytes:
        if path not in table:
            raise OSError(not_ceph, os.strerror(not_ceph), path)
        if name not in table[path]:
            raise OSError(errno.ENODATA, "No data available", path)
        return table[path][name]

    return read


def test_ceph_quota_on_home() -> None:
    read = fake_xattrs(
        {
            "/home/alice": {
                "ceph.quota.max_bytes": b"21474836480",
                "ceph.dir.rbytes": b"5368709120",
                "ceph.dir.rfiles": b"1234",
            },
            "/home": {"ceph.dir.rbytes": b"99"},
        }
    )
    q = quota.ceph_quota(Path("/home/alice"), read)
    assert q == quota.CephQuota("/home/alice", 20 * GIB, None, 5 * GIB, 1234)
    disk, files = quota.ceph_rows(q)
    assert disk.percent == pytest.approx(25.0) and not disk.unlimited
    assert files.unlimited and files.percent is None


def test_ceph_quota_set_on_a_parent_directory() -> None:
    read = fake_xattrs(
        {
            "/mnt/ceph/home/alice": {"ceph.dir.rbytes": b"10", "ceph.dir.rfiles": b"1"},
            "/mnt/ceph/home": {
                "ceph.dir.rbytes": b"1000",
                "ceph.dir.rfiles": b"50",
                "ceph.quota.max_bytes": b"0",
                "ceph.quota.max_files": b"100",
            },
        }
    )
    q = quota.ceph_quota(Path("/mnt/ceph/home/alice"), read)
    assert q is not None and q.directory == "/mnt/ceph/home"
    assert q.max_bytes is None and q.max_files == 100 and (q.rbytes, q.rfiles) == (1000, 50)


def test_ceph_without_any_quota_is_unlimited_not_unknown() -> None:
    read = fake_xattrs({"/c/alice": {"ceph.dir.rbytes": b"7", "ceph.dir.rfiles": b"2"}})
    q = quota.ceph_quota(Path("/c/alice"), read)
    assert q == quota.CephQuota("/c/alice", None, None, 7, 2)
    assert all(r.unlimited for r in quota.ceph_rows(q))


def test_ceph_walk_reads_each_xattr_once() -> None:
    # home and its parent on CephFS, no quota on either; "/" is not CephFS
    read = fake_xattrs(
        {
            "/c/alice": {"ceph.dir.rbytes": b"7", "ceph.dir.rfiles": b"2"},
            "/c": {"ceph.dir.rbytes": b"70", "ceph.dir.rfiles": b"20"},
        }
    )
    calls: list[tuple[str, str]] = []

    def counted(path: str, name: str) -> bytes:
        calls.append((path, name))
        return read(path, name)

    assert quota.ceph_quota(Path("/c/alice"), counted) == quota.CephQuota(
        "/c/alice", None, None, 7, 2
    )
    assert len(calls) == len(set(calls))
    assert ("/", "ceph.dir.rbytes") in calls  # the walk went up until it left CephFS


@pytest.mark.parametrize("code", [errno.ENOTSUP, errno.ENODATA, errno.EOPNOTSUPP])
def test_not_ceph(code: int) -> None:
    assert quota.ceph_quota(Path("/home/alice"), fake_xattrs({}, not_ceph=code)) is None


def test_real_getxattr_on_a_local_directory_says_no_ceph_quota(tmp_path: Path) -> None:
    # the real os.getxattr: ceph.* names do not exist here (ENODATA, or ENOTSUP on tmpfs)
    with pytest.raises(OSError) as info:
        os.getxattr(tmp_path, "ceph.dir.rbytes")
    assert info.value.errno in quota.NOT_CEPH
    assert quota.ceph_quota(tmp_path) is None


def test_parse_quota() -> None:
    (q,) = quota.parse_quota(QUOTA_OK)
    assert q == quota.UserQuota(
        "/dev/sdb1", 51200 * 1024, 1048576 * 1024, 2097152 * 1024, 1200, 0, 0
    )
    (over,) = quota.parse_quota(QUOTA_OVER)
    assert over.filesystem == "/dev/mapper/vg-scratch"
    assert over.used_bytes == 1100000 * 1024 and over.files == 1200 and over.hard_files == 2000
    assert quota.parse_quota(QUOTA_NONE) == []
    with pytest.raises(ValueError, match="unexpected quota line"):
        quota.parse_quota(QUOTA_OK.replace("1200       0       0", "x"))


def test_user_quota_rows_use_hard_limit_and_zero_means_none() -> None:
    disk, files = quota.user_quota_rows(quota.parse_quota(QUOTA_OK))
    assert disk.limit == 2097152 * 1024 and disk.percent == pytest.approx(51200 / 2097152 * 100)
    assert files.unlimited and files.limit is None and files.percent is None


def test_parse_nvidia_smi() -> None:
    a, b = quota.parse_nvidia_smi(SMI)
    assert a == quota.Gpu("0", "NVIDIA GeForce RTX 3090", 37.0, 10240.0, 24576.0)
    assert b.utilization is None
    with pytest.raises(ValueError):
        quota.parse_nvidia_smi("garbage\n")


def test_login_node_quota_matches_name_or_hostname() -> None:
    info = machine_info_payload()
    assert quota.login_node_quota(info, "login1") == ("login1", 1.5, 4 * GIB)
    assert quota.login_node_quota(info, "login2.cluster.example") == ("login2", 2.0, 8 * GIB)
    assert quota.login_node_quota(info, "elsewhere") is None
    assert quota.login_node_quota({"machines": {"slurm_login_nodes": "x"}}, "login1") is None


def test_unknown_is_never_a_percentage() -> None:
    assert QuotaRow("cpu", 1.0, None, "cores", "x").percent is None
    assert QuotaRow("cpu", None, 2.0, "cores", "x").percent is None
    assert QuotaRow("cpu", 1.0, 0, "cores", "x").percent is None
    assert QuotaRow("cpu", 1.0, 2.0, "cores", "x").as_json()["percent"] == 50.0


# ---- collect(): everything together ---------------------------------------------------------


def ctx(tmp_path: Path, sysfs: Path, proc: Path, **kw: object) -> QuotaContext:
    base: dict[str, object] = {
        "home": tmp_path,
        "sysfs_root": sysfs,
        "proc_root": proc,
        "tmp_dir": tmp_path / "jobtmp",
        "env": {},
        "hostname": "login1",
        "cpu_sample_seconds": 0,
        "read_xattr": fake_xattrs({}),
    }
    base.update(kw)
    return QuotaContext(**base)  # type: ignore[arg-type]


def by_resource(rows: list[QuotaRow]) -> dict[str, QuotaRow]:
    return {r.resource: r for r in rows}


@pytest.mark.integration
def test_collect_login_node_with_cgroup_limits(tmp_path: Path, fake_bin: Path) -> None:
    serve_text(fake_bin, "quota", {"--no-wrap": QUOTA_OK})
    sysfs, proc = make_tree(
        tmp_path / "cg",
        SESSION,
        {
            USER: {
                "cpu.max": "150000 100000",
                "memory.max": str(4 * GIB),
                "memory.current": str(GIB),
            }
        },
    )
    ceph = fake_xattrs({str(tmp_path): {"ceph.dir.rbytes": b"100", "ceph.quota.max_bytes": b"400"}})
    rows, notes = quota.collect(ctx(tmp_path, sysfs, proc, read_xattr=ceph))
    got = by_resource(rows)
    assert got["disk: home"].percent == 25.0
    assert got["disk: /dev/sdb1"].source == "quota(1)"
    assert got["cpu"].limit == 1.5 and got["cpu"].source == f"cgroup {USER}"
    assert got["memory"].percent == 25.0
    assert "gpus" not in got
    assert notes == []


@pytest.mark.integration
def test_collect_falls_back_to_machine_info_and_free_space(tmp_path: Path, fake_bin: Path) -> None:
    sysfs, proc = make_tree(tmp_path / "cg", SESSION, {USER: {"memory.current": str(GIB)}})
    info = machine_info_payload()
    del info["global_user_disk_quotas"]  # no published home quota either
    rows, _ = quota.collect(
        ctx(tmp_path, sysfs, proc, machine_info=lambda: info, hostname="login2")
    )
    got = by_resource(rows)
    free = got["disk: home (no quota found)"]
    assert free.limit is None and free.percent is None and "not a quota" in free.source
    assert got["cpu"].limit == 2.0 and got["memory"].limit == 8 * GIB
    assert got["memory"].used == GIB
    assert got["memory"].source == "machine-info (login node login2) + cgroup usage"


@pytest.mark.integration
def test_collect_unknowns_stay_unknown(tmp_path: Path, fake_bin: Path) -> None:
    def broken() -> object:
        raise RuntimeError("no answer within 3 s")

    (tmp_path / "p/self").mkdir(parents=True)
    (tmp_path / "p/self/cgroup").write_text("1:cpu:/\n")
    rows, notes = quota.collect(ctx(tmp_path, tmp_path, tmp_path / "p", machine_info=broken))
    got = by_resource(rows)
    assert got["cpu"].used is None and got["cpu"].limit is None and not got["cpu"].unlimited
    assert got["cpu"].percent is None
    assert any("cgroup v1 only" in n for n in notes)
    assert any("machine-info: no answer" in n for n in notes)


@pytest.mark.integration
def test_collect_inside_a_slurm_job(tmp_path: Path, fake_bin: Path) -> None:
    job = (
        "JobId=4242 JobName=train UserId=alice(1000) JobState=RUNNING NumCPUs=4 "
        "AllocTRES=cpu=4,mem=16G,node=1,billing=4,gres/gpu=2,gres/tmpdisk=1024 "
        "TresPerNode=gres/gpu:2,gres/tmpdisk:1024\n"
    )
    serve_text(fake_bin, "scontrol", {"show job --oneliner 4242": job})
    serve_text(fake_bin, "nvidia-smi", {" ".join(quota.NVIDIA_ARGS[1:]): SMI})
    write_exe(fake_bin, "quota", 'echo "quota: Cannot open quotafile" >&2; exit 2\n')
    jobtmp = tmp_path / "jobtmp"
    (jobtmp / "d").mkdir(parents=True)
    (jobtmp / "d" / "blob").write_bytes(b"x" * (3 * 2**20))
    own = "/system.slice/slurmstepd.scope/job_4242/step_0/user/task_0"
    sysfs, proc = make_tree(
        tmp_path / "cg",
        own,
        {
            "/system.slice/slurmstepd.scope/job_4242": {
                "cpu.max": "400000 100000",
                "memory.max": str(16 * GIB),
                "memory.current": str(2 * GIB),
                "cpu.stat": cpu_stat(1000),
            }
        },
    )
    rows, notes = quota.collect(ctx(tmp_path, sysfs, proc, env={"SLURM_JOB_ID": "4242"}))
    assert notes == []  # quota(1) failing (exit 2) is not worth a note: no quotas here
    got = by_resource(rows)
    assert got["cpu"].limit == 4 and got["cpu"].source.startswith("SLURM job 4242")
    assert got["memory"].limit == 16 * GIB and got["memory"].used == 2 * GIB
    tmp_row = got["disk: job /tmp"]
    assert tmp_row.limit == 1024 * 2**20
    assert tmp_row.used is not None and tmp_row.used >= 3 * 2**20
    assert got["gpus"].limit == 2 and got["gpus"].used == 2
    gpu0 = got["gpu 0 memory (NVIDIA GeForce RTX 3090)"]
    assert gpu0.used == 10240 * 2**20 and "37% busy" in gpu0.source
    # quota(1) failing is not a quota: the free-space row, never a percentage
    assert got["disk: home (no quota found)"].percent is None


@pytest.mark.integration
def test_collect_notes_a_failing_scontrol(tmp_path: Path, fake_bin: Path) -> None:
    write_exe(
        fake_bin, "scontrol", 'echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1\n'
    )
    sysfs, proc = make_tree(tmp_path / "cg", SESSION, {USER: {"cpu.max": "100000 100000"}})
    rows, notes = quota.collect(ctx(tmp_path, sysfs, proc, env={"SLURM_JOB_ID": "9"}))
    assert any("SLURM job 9" in n and "Invalid job id" in n for n in notes)
    assert by_resource(rows)["cpu"].limit == 1.0  # cgroup still answers


@pytest.mark.integration
def test_home_quota_published_in_machine_info(tmp_path: Path, fake_bin: Path) -> None:
    # not CephFS here, no quota(1): the cluster's published home quota still counts
    sysfs, proc = make_tree(tmp_path / "cg", SESSION, {USER: {"memory.current": str(GIB)}})
    rows, notes = quota.collect(
        ctx(tmp_path, sysfs, proc, machine_info=machine_info_payload, hostname="login2")
    )
    got = by_resource(rows)
    assert "disk: home (no quota found)" not in got
    home = got["disk: home"]
    assert home.limit == 20 * GIB and home.used is None and home.percent is None
    assert home.source == "machine-info global_user_disk_quotas (ceph)"
    assert notes == []


@pytest.mark.integration
def test_published_home_quota_with_ceph_usage(tmp_path: Path, fake_bin: Path) -> None:
    # CephFS without a quota xattr on the way up: usage from rbytes, limit from machine-info
    ceph = fake_xattrs({str(tmp_path): {"ceph.dir.rbytes": str(5 * GIB).encode()}})
    sysfs, proc = make_tree(tmp_path / "cg", SESSION, {USER: {"cpu.max": "100000 100000"}})
    rows, _ = quota.collect(
        ctx(tmp_path, sysfs, proc, read_xattr=ceph, machine_info=machine_info_payload)
    )
    home = by_resource(rows)["disk: home"]
    assert home.limit == 20 * GIB and home.used == 5 * GIB and home.percent == 25.0
    assert quota.published_home_quota({"global_user_disk_quotas": "garbled"}) is None
