"""Run `apply` in a child process that lists its steps or SIGKILLs itself at one of them.

python -m tests.users.crash_runner ROOT CONFIG list|STEP|pause:STEP:FIFO
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from watcloud.users.apply import apply
from watcloud.users.config import load


def main() -> None:
    root, config, target = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def hook(step: str) -> None:
        if target == "list":
            print(step, flush=True)
        elif target.startswith("pause:"):
            _, at, fifo = target.split(":", 2)
            if step == at:
                print("paused", flush=True)
                with open(fifo) as fh:  # blocks until the test opens the fifo for writing
                    fh.read()
        elif step == target:
            os.kill(os.getpid(), signal.SIGKILL)

    apply(root, load(config), hook=hook, today=20000)


if __name__ == "__main__":
    main()
