"""SLURM command outputs in the real tools' formats, written for these tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from watcloud.core.timez import CLUSTER_TZ

SINFO = """\
alpha-slurm1|compute*|mixed|none
beta-slurm1|compute*|drained|Kernel upgrade pending: gpu temp=95C
gamma-slurm1|compute*|down*|Not responding
delta-slurm1|compute*|idle|none
delta-slurm1|debug|idle|none
"""


def _node(
    name: str,
    state: str,
    reason: str | None,
    alloc: int = 0,
    *,
    gpus: int = 1,
    gpus_alloc: int = 0,
    partitions: str = "compute",
) -> str:
    alloc_tres = (
        f"cpu={alloc},mem={alloc * 1000}M" + (f",gres/gpu={gpus_alloc}" if gpus_alloc else "")
        if alloc
        else ""
    )
    line = (
        f"NodeName={name} Arch=x86_64 CoresPerSocket=1 CPUAlloc={alloc} CPUEfctv=16 CPUTot=16 "
        "CPULoad=0.52 AvailableFeatures=(null) ActiveFeatures=(null) "
        f"Gres=gpu:rtx_3090:{gpus}(S:0) "
        f"NodeAddr={name} NodeHostName={name} Version=23.11.4 "
        "OS=Linux 5.15.0-119-generic #129-Ubuntu SMP Fri Aug 2 19:25:20 UTC 2024 "
        f"RealMemory=64000 AllocMem={alloc * 1000} FreeMem=60000 Sockets=16 Boards=1 "
        f"State={state} ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A "
        f"Partitions={partitions} BootTime=2026-11-01T09:00:00 "
        "SlurmdStartTime=2026-11-01T09:01:00 LastBusyTime=2026-11-24T10:00:00 ResumeAfterTime=None "
        f"CfgTRES=cpu=16,mem=64000M,billing=16,gres/gpu={gpus},gres/gpu:rtx_3090={gpus} "
        f"AllocTRES={alloc_tres} CapWatts=n/a "
        "CurrentWatts=0 AveWatts=0 ExtSensorsJoules=n/a ExtSensorsWatts=0 ExtSensorsTemp=n/a"
    )
    if reason:
        line += f" Reason={reason}"
    return line


def scontrol_nodes() -> str:
    return (
        "\n".join(
            [
                _node("alpha-slurm1", "MIXED", None, alloc=4),
                _node(
                    "beta-slurm1",
                    "IDLE+DRAIN",
                    "Kernel upgrade pending: gpu temp=95C [root@2026-11-24T09:12:00]",
                ),
                _node(
                    "gamma-slurm1",
                    "DOWN*+NOT_RESPONDING",
                    "Not responding [slurm@2026-11-24T08:00:01]",
                ),
                _node("delta-slurm1", "IDLE", None),
            ]
        )
        + "\n"
    )


def slurm_time(dt: datetime) -> str:
    return dt.astimezone(CLUSTER_TZ).replace(tzinfo=None).isoformat(timespec="seconds")


def reservation(name: str, start: datetime, end: datetime, nodes: str, flags: str) -> str:
    hours = int((end - start).total_seconds() // 3600)
    return (
        f"ReservationName={name} StartTime={slurm_time(start)} EndTime={slurm_time(end)} "
        f"Duration={hours:02d}:00:00 Nodes={nodes} NodeCnt=2 CoreCnt=32 Features=(null) "
        f"PartitionName=(null) Flags={flags} TRES=cpu=32 Users=root Groups=(null) "
        "Accounts=(null) Licenses=(null) State=ACTIVE BurstBuffer=(null) Watts=n/a "
        "MaxStartDelay=(null) Comment=Ceph upgrade"
    )


def scontrol_reservations(now: datetime) -> str:
    return (
        "\n".join(
            [
                reservation(
                    "maint-now",
                    now - timedelta(hours=1),
                    now + timedelta(hours=2),
                    "delta-slurm1",
                    "MAINT,IGNORE_JOBS,SPEC_NODES",
                ),
                reservation(
                    "maint-later",
                    now + timedelta(days=2),
                    now + timedelta(days=2, hours=6),
                    "alpha-slurm[1-2]",
                    "MAINT,SPEC_NODES",
                ),
                reservation(
                    "course-lab",
                    now - timedelta(hours=1),
                    now + timedelta(hours=1),
                    "alpha-slurm1",
                    "SPEC_NODES",
                ),
            ]
        )
        + "\n"
    )


NO_RESERVATIONS = "No reservations in the system\n"


def capacity_nodes() -> str:
    """Four nodes for `slurm capacity`: one busy with GPUs taken, one drained, one down, one
    idle in two partitions, one reserved for maintenance."""
    return (
        "\n".join(
            [
                _node("alpha-slurm1", "MIXED", None, alloc=12, gpus=2, gpus_alloc=2),
                _node(
                    "beta-slurm1",
                    "IDLE+DRAIN",
                    "nvidia-smi gpu temp=95C [root@2026-11-24T09:12:00]",
                ),
                _node("gamma-slurm1", "DOWN*+NOT_RESPONDING", "Not responding"),
                _node("delta-slurm1", "IDLE", None, gpus=4, partitions="compute,debug"),
                _node("eps-slurm1", "IDLE+MAINT+RESERVED", None, gpus=4),
            ]
        )
        + "\n"
    )
