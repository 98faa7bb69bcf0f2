"""`apply` on a fake root and nothing else: the child that test_crash.py kills under strace.

python -m tests.users.apply_runner ROOT CONFIG
"""

from __future__ import annotations

import sys
from pathlib import Path

from watcloud.users.apply import apply
from watcloud.users.config import load

if __name__ == "__main__":
    apply(Path(sys.argv[1]), load(Path(sys.argv[2])), today=20000)
