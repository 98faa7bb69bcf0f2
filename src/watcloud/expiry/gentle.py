"""`--gentle`: lower this process's CPU priority (nice) and put its I/O in the idle class.

The I/O class is set with the `ioprio_set` system call through ctypes (what `ionice -c 3`
does). Both settings are inherited by the scan's worker processes and threads created after.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

IOPRIO_WHO_PROCESS = 1
IOPRIO_CLASS_IDLE = 3
IOPRIO_CLASS_SHIFT = 13
# ioprio_set's number differs per architecture.
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "arm64": 30, "i686": 289}


def ioprio_value(io_class: int, level: int = 0) -> int:
    return (io_class << IOPRIO_CLASS_SHIFT) | level


def set_idle_io() -> int:
    """Put the calling process in the idle I/O class; returns the new ioprio value."""
    number = _IOPRIO_SET.get(platform.machine())
    if number is None:
        raise OSError(f"ioprio_set: unknown system call number on {platform.machine()}")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    value = ioprio_value(IOPRIO_CLASS_IDLE)
    if libc.syscall(number, IOPRIO_WHO_PROCESS, 0, value) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"ioprio_set: {os.strerror(err)}")
    return value


def be_gentle(niceness: int = 19) -> list[str]:
    """Lower CPU and I/O priority; returns warnings for what could not be done."""
    warnings = []
    try:
        os.nice(niceness)
    except OSError as exc:
        warnings.append(f"--gentle: cannot lower CPU priority: {exc}")
    try:
        set_idle_io()
    except OSError as exc:
        warnings.append(f"--gentle: cannot set the idle I/O class: {exc}")
    return warnings
