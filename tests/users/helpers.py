"""Fake roots, hashes and keys for the users tests (all written for this project)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

# Real crypt(3) outputs for the password "pw" (made once with libxcrypt on Debian 12).
SHA512 = (
    "$6$moJBpe0FoDqzMIqy$iLIQi30OUbrWTVdflGj7VvXe./80bhb6Ym6mURkYp9nqkjVszQrVJxFO8v0PIN41KVr5mTW6H4"
    "CDhvl.NzTd/0"
)
YESCRYPT = "$y$j9T$abcdefghijklmnop$wRwvHNqzMkHLG74uLLCRVTwaZ.a1aIothEUeYGf9oED"
BCRYPT = "$2b$12$IX/RhRByidBwA3AQALzCnO1bmz.8P8xC1lpQdZswGQbRcKhnRY1hS"

BASE_PASSWD = b"""root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
handmade:x:1500:1500:Hand Made,,,:/home/handmade:/bin/bash
"""
BASE_SHADOW = b"""root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
bin:*:19000:0:99999:7:::
sys:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
handmade:!:19500:0:99999:7:::
"""
BASE_GROUP = b"""root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
shadow:x:42:
users:x:100:handmade
nogroup:x:65534:
handmade:x:1500:
"""
BASE_GSHADOW = b"""root:*::
daemon:*::
bin:*::
sys:*::
shadow:*::
users:*::handmade
nogroup:*::
handmade:!::
"""


def ed25519_key(seed: int, comment: str = "") -> str:
    blob = b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20" + bytes([seed % 256]) * 32
    key = "ssh-ed25519 " + base64.b64encode(blob).decode()
    return f"{key} {comment}" if comment else key


def make_root(
    base: Path,
    *,
    passwd: bytes = BASE_PASSWD,
    shadow: bytes = BASE_SHADOW,
    group: bytes = BASE_GROUP,
    gshadow: bytes = BASE_GSHADOW,
) -> Path:
    """A fresh fake root with Debian-like account files, /etc/skel and the homes pwck checks."""
    root = base / "root"
    etc = root / "etc"
    etc.mkdir(parents=True)
    for name, data, mode in (
        ("passwd", passwd, 0o644),
        ("shadow", shadow, 0o640),
        ("group", group, 0o644),
        ("gshadow", gshadow, 0o640),
    ):
        (etc / name).write_bytes(data)
        os.chmod(etc / name, mode)
    skel = etc / "skel"
    skel.mkdir()
    (skel / ".bashrc").write_text("# skel bashrc\n")
    (skel / ".profile").write_text("# skel profile\n")
    (skel / ".config").mkdir()
    (skel / ".config" / "x.conf").write_text("x=1\n")
    if os.geteuid() == 0:
        for name in ("shadow", "gshadow"):
            os.chown(etc / name, 0, 42)
    for d in ("root", "usr/sbin", "bin", "dev", "home/handmade", "nonexistent"):
        (root / d).mkdir(parents=True, exist_ok=True)
    for shell in ("bin/bash", "usr/sbin/nologin"):
        (root / shell).write_text("")
        os.chmod(root / shell, 0o755)
    return root


def small_config(**over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "managed_uid_range": [2000, 2999],
        "managed_gid_range": [2000, 2999],
        "groups": [
            {"groupname": "students", "gid": 2500, "members": ["handmade"]},
            {"groupname": "admins", "gid": 2501},
        ],
        "users": [
            {
                "username": "alice",
                "uid": 2001,
                "password": SHA512,
                "additional_groups": ["students", "admins"],
                "comment": "Alice A",
                "ssh_authorized_keys": [ed25519_key(1, "alice@laptop")],
                "linger": True,
            },
            {
                "username": "bob",
                "uid": 2002,
                "password": YESCRYPT,
                "additional_groups": ["students"],
                "update_password": "on_create",
            },
            {"username": "carol", "uid": 2003, "primary_group": "students", "password": BCRYPT},
        ],
    }
    cfg.update(over)
    return cfg


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    path.write_text(json.dumps(cfg, indent=1))
    return path
