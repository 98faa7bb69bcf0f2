"""A real SLURM on loopback for the tests: munged, slurmctld and three slurmd, started in seconds.

Debian's `munge`, `slurmctld`, `slurmd` and `slurm-client` (scripts/debian-packages.txt). One
munge key and one `slurm.conf` are generated in a temporary directory; every daemon runs in the
foreground as a child of the test process (so teardown is `terminate()` on our own processes),
with ports chosen by the kernel. Settings that work in a container without cgroups:
`proctrack/linuxproc`, `task/none`, `select/cons_tres`, no accounting.

The lab's nodes (names chosen so their states are real, not written by hand):

    node  slurmd       CPUs  state after start          partitions
    n1    yes (-N n1)  2     idle                       compute (default), small
    n2    yes (-N n2)  2     idle                       compute, small
    n3    yes (-N n3)  2     drained (`scontrol update state=drain`)   compute
    n4    never        4     down (`State=DOWN` in slurm.conf; never answers: `down*`)  compute
    n5    never        4     `unknown`, then `unknown*` once slurmctld pinged it  compute

Clients need `SLURM_CONF` (and `TZ`: SLURM prints and reads local times in the client's zone;
the lab uses the cluster's, America/Toronto) - `lab.env`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLUSTER_TZ = "America/Toronto"
REAL_NODES = ("n1", "n2", "n3")
DEAD_NODES = ("n4", "n5")
DRAINED = ("n3", "disk replacement")
DAEMONS = ("munged", "slurmctld", "slurmd", "scontrol", "sinfo", "squeue", "sbatch", "scancel")


class LabError(RuntimeError):
    """The lab could not start (the message names the daemon and its last log lines)."""


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def find(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for d in ("/usr/sbin", "/sbin") if os.access(p := f"{d}/{name}", os.X_OK)), None
    )


def slurm_conf(root: Path, ctld_port: int, node_ports: Sequence[int], munge_socket: Path) -> str:
    ports = dict(zip((*REAL_NODES, *DEAD_NODES), node_ports, strict=True))
    lines = [
        "ClusterName=lab",
        "SlurmctldHost=localhost(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={ports['n1']}",
        "AuthType=auth/munge",
        f"AuthInfo=socket={munge_socket}",
        "CredType=cred/munge",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"StateSaveLocation={root}/state",
        f"SlurmdSpoolDir={root}/spool/%n",
        f"SlurmctldPidFile={root}/run/slurmctld.pid",
        f"SlurmdPidFile={root}/run/slurmd-%n.pid",
        f"SlurmctldLogFile={root}/log/slurmctld.log",
        f"SlurmdLogFile={root}/log/slurmd-%n.log",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none",
        "SwitchType=switch/none",
        "MpiDefault=none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "DefMemPerCPU=100",
        "SchedulerType=sched/backfill",
        "SchedulerParameters=bf_interval=1,sched_interval=1",
        "ReturnToService=2",
        "SlurmdTimeout=30",
        "SlurmctldTimeout=30",
        "MessageTimeout=10",
        "InactiveLimit=0",
        "MinJobAge=300",
        "KillWait=1",
    ]
    for name in REAL_NODES:
        lines.append(
            f"NodeName={name} NodeHostname=localhost NodeAddr=127.0.0.1 Port={ports[name]} "
            "CPUs=2 RealMemory=1000 State=UNKNOWN"
        )
    lines.append(
        f"NodeName=n4 NodeAddr=127.0.0.4 Port={ports['n4']} CPUs=4 RealMemory=1000 "
        "State=DOWN Reason=psu_failed"
    )
    lines.append(
        f"NodeName=n5 NodeAddr=127.0.0.5 Port={ports['n5']} CPUs=4 RealMemory=1000 State=UNKNOWN"
    )
    lines.append("PartitionName=compute Nodes=n[1-5] Default=YES MaxTime=INFINITE State=UP")
    lines.append("PartitionName=small Nodes=n[1-2] MaxTime=INFINITE State=UP")
    return "\n".join(lines) + "\n"


@dataclass
class SlurmLab:
    root: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf), "TZ": CLUSTER_TZ}

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> str:
        """A SLURM client command against the lab; its stdout."""
        proc = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=timeout,
            cwd=self.root / "jobs",
        )
        if check and proc.returncode != 0:
            raise LabError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout

    # ---- start / stop -----------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.root / "log" / f"{name}.out", "wb")  # noqa: SIM115 - closed with the lab
        proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            cwd=self.root,
        )
        log.close()
        self.procs.append((name, proc))

    def _tail(self, name: str) -> str:
        lines: list[str] = []
        for path in (self.root / "log").glob(f"{name}*"):
            lines += path.read_text(errors="replace").splitlines()[-5:]
        return " | ".join(lines)[-1500:]

    def _alive_or_raise(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise LabError(f"{name} exited {proc.returncode}: {self._tail(name)}")

    def start(self, timeout: float = 60) -> SlurmLab:
        for sub in ("munge", "state", "spool", "run", "log", "jobs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for node in REAL_NODES:
            (self.root / "spool" / node).mkdir(exist_ok=True)
        munge = self.root / "munge"
        os.chmod(munge, 0o755)
        key = munge / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        os.chmod(key, 0o600)
        sock = munge / "sock"
        ports = _free_ports(2 + len(REAL_NODES) + len(DEAD_NODES))
        self.conf.write_text(slurm_conf(self.root, ports[0], ports[2:], sock))
        self._spawn(
            "munged",
            [
                str(find("munged")),
                "--foreground",
                "--force",
                f"--socket={sock}",
                f"--key-file={key}",
                f"--log-file={munge / 'munged.log'}",
                f"--pid-file={munge / 'munged.pid'}",
                f"--seed-file={munge / 'munged.seed'}",
            ],
        )
        deadline = time.monotonic() + timeout
        while not sock.exists():
            self._alive_or_raise()
            if time.monotonic() > deadline:
                raise LabError(f"munged did not create its socket: {self._tail('munge')}")
            time.sleep(0.05)
        self._spawn("slurmctld", [str(find("slurmctld")), "-D", "-i", "-f", str(self.conf)])
        while True:
            self._alive_or_raise()
            ping = subprocess.run(
                ["scontrol", "ping"],
                capture_output=True,
                text=True,
                env={**os.environ, **self.env},
                timeout=30,
            )
            if "is UP" in ping.stdout:
                break
            if time.monotonic() > deadline:
                raise LabError(f"slurmctld did not come up: {self._tail('slurmctld')}")
            time.sleep(0.1)
        for node in REAL_NODES:
            self._spawn(f"slurmd-{node}", [str(find("slurmd")), "-D", "-N", node])
        while True:
            self._alive_or_raise()
            states = self.node_states()
            if all(states.get(n, "").rstrip("*").lower() == "idle" for n in REAL_NODES):
                break
            if time.monotonic() > deadline:
                raise LabError(f"slurmd nodes did not register ({states}): {self._tail('slurmd')}")
            time.sleep(0.1)
        node, reason = DRAINED
        self.run("scontrol", "update", f"nodename={node}", "state=drain", f"reason={reason}")
        return self

    def wait_not_responding(self, node: str, timeout: float = 90) -> None:
        """Until slurmctld has pinged `node` and marked it NOT_RESPONDING (its first pings come
        some seconds after start; only the tests that need it wait, not the lab's start)."""
        deadline = time.monotonic() + timeout
        while "NOT_RESPONDING" not in self.run("scontrol", "show", "node", node, "--oneliner"):
            if time.monotonic() > deadline:
                raise LabError(f"{node} still not marked NOT_RESPONDING after {timeout:g} s")
            time.sleep(0.5)

    def node_states(self) -> dict[str, str]:
        out = self.run("sinfo", "--Node", "--noheader", "--format=%N|%T", check=False)
        return dict(line.split("|", 1) for line in out.splitlines() if "|" in line)

    def clean(self) -> None:
        """Between tests: no jobs, no reservations (the nodes keep their states)."""
        self.run("scancel", "--full", "--user=root", check=False)
        for line in self.run("scontrol", "show", "reservation", "--oneliner", check=False).split(
            "\n"
        ):
            if line.startswith("ReservationName="):
                name = line.split()[0].split("=", 1)[1]
                self.run("scontrol", "delete", f"reservationname={name}", check=False)
        deadline = time.monotonic() + 30
        while self.run("squeue", "--noheader", "--states=RUNNING,COMPLETING", check=False).strip():
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)

    def stop(self) -> None:
        if any(name == "slurmctld" and p.poll() is None for name, p in self.procs):
            with contextlib.suppress(LabError, subprocess.TimeoutExpired, OSError):
                self.clean()
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._reap_steps()

    def _reap_steps(self) -> None:
        """slurmstepd and job processes this lab started (their command line names our spool)."""
        spool = str(self.root / "spool")
        mine = {os.getpid(), os.getppid()}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in mine:
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if spool in cmd or f"SLURM_CONF={self.conf}".encode() in environ:
                with contextlib.suppress(OSError):
                    os.kill(int(entry.name), 9)


def missing_tools() -> list[str]:
    return [name for name in DAEMONS if find(name) is None]


def lab(root: Path) -> Iterator[SlurmLab]:
    """Start a lab under `root`; stop it when the generator is closed."""
    the_lab = SlurmLab(root)
    try:
        the_lab.start()
        yield the_lab
    finally:
        the_lab.stop()
