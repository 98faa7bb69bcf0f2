"""The real resolver answers as configured: generated files bind-mounted over /etc in a private
mount namespace (`unshare -m`), then glibc's getent, coreutils' id and util-linux's runuser."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_binary, require_root
from tests.users.helpers import SHA512, make_root, small_config
from watcloud.users.apply import apply
from watcloud.users.config import validate

SCRIPT = r"""
set -eu
for f in passwd shadow group gshadow; do mount --bind "$ROOT/etc/$f" "/etc/$f"; done
echo "@getent-passwd"; getent passwd alice bob carol
echo "@getent-group"; getent group students admins alice bob
echo "@getent-shadow"; getent shadow alice
echo "@id-alice"; id alice
echo "@id-carol"; id carol
echo "@runuser-alice"; runuser -u alice -- id
echo "@runuser-carol"; runuser -u carol -- id
echo "@getent-gone"; getent passwd zed || echo "absent"
"""


def _sections(out: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in out.splitlines():
        if line.startswith("@"):
            current = line[1:]
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


@pytest.mark.root
@pytest.mark.integration
def test_getent_id_runuser_in_private_mount_namespace(tmp_path: Path) -> None:
    require_root()
    unshare, *_ = require_binary("unshare", "mount", "getent", "id", "runuser")
    root = make_root(tmp_path)
    cfg = small_config()
    cfg["users"][0]["shell"] = "/bin/sh"  # exists on this host too, for runuser
    cfg["users"][2]["shell"] = "/bin/sh"
    apply(root, validate(cfg), today=20000)
    res = subprocess.run(
        [unshare, "-m", "--propagation", "private", "sh", "-c", SCRIPT],
        env={"ROOT": str(root), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    s = _sections(res.stdout)
    assert s["getent-passwd"] == [
        "alice:x:2001:2001:Alice A:/home/alice:/bin/sh",
        "bob:x:2002:2002::/home/bob:/bin/bash",
        "carol:x:2003:2500::/home/carol:/bin/sh",
    ]
    assert s["getent-group"] == [
        "students:x:2500:handmade,alice,bob",
        "admins:x:2501:alice",
        "alice:x:2001:",
        "bob:x:2002:",
    ]
    assert s["getent-shadow"] == [f"alice:{SHA512}:20000:0:99999:7:::"]
    alice_id = "uid=2001(alice) gid=2001(alice) groups=2001(alice),2500(students),2501(admins)"
    carol_id = "uid=2003(carol) gid=2500(students) groups=2500(students)"
    assert s["id-alice"] == [alice_id]
    assert s["id-carol"] == [carol_id]
    assert s["runuser-alice"] == [alice_id]
    assert s["runuser-carol"] == [carol_id]
    assert s["getent-gone"] == ["absent"]
    # the host's own files were never touched
    host = Path("/etc/passwd").read_text()
    assert "alice:x:2001" not in host
