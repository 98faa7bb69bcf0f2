"""Running SLURM's commands (`scontrol`, `sinfo`, `squeue`, `sbatch`): the one runner cluster
and outage share. Standard library only.

SLURM prints (and reads) times in the client's zone without saying which, so every command runs
with `TZ` set to the cluster's zone, which `core.timez.parse_cluster_time` assumes, whatever the
zone of this machine or container.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from watcloud.core.timez import CLUSTER_TZ


class SlurmError(RuntimeError):
    """A SLURM command is missing, failed or timed out (one line)."""


def available(command: str = "scontrol") -> bool:
    return shutil.which(command) is not None


def run(args: Sequence[str], timeout: float) -> str:
    """Run a SLURM command in the cluster's zone and return its stdout; SlurmError on failure."""
    exe = shutil.which(args[0])
    if exe is None:
        raise SlurmError(f"{args[0]}: command not found")
    try:
        proc = subprocess.run(
            [exe, *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "TZ": str(CLUSTER_TZ)},
        )
    except subprocess.TimeoutExpired:
        raise SlurmError(f"`{' '.join(args)}` timed out after {timeout:g} s") from None
    except OSError as exc:
        raise SlurmError(f"`{' '.join(args)}`: {exc.strerror}") from None
    if proc.returncode != 0:
        first = (proc.stderr.strip() or proc.stdout.strip() or "no message").splitlines()[0]
        raise SlurmError(f"`{' '.join(args)}` exited {proc.returncode}: {first}")
    return proc.stdout
