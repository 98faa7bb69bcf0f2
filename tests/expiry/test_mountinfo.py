"""mountinfo parsing and atime semantics, on fixture text written for these tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcloud.expiry.mountinfo import (
    atime_semantics,
    effective_time_field,
    find_mount,
    parse_mountinfo,
)

FIXTURE = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
40 27 259:3 / /scratch rw,nosuid,noatime - xfs /dev/nvme0n1p1 rw,attr2,inode64,noquota
41 40 259:4 / /scratch/fast rw,nodiratime shared:12 - ext4 /dev/nvme1n1 rw,lazytime
42 27 7:0 / /mnt/with\\040space rw - ext4 /dev/loop0 rw
43 27 0:39 /sub /bind rw,relatime master:3 propagation_from:2 - ext4 /dev/vda rw
this line is garbage and is skipped
44 27 0:40 / /scratch rw,relatime - tmpfs tmpfs rw,size=1024k
"""


def test_parse_fields_and_optional_tags() -> None:
    mounts = parse_mountinfo(FIXTURE)
    assert len(mounts) == 7  # the garbage line is skipped
    scratch = mounts[2]
    assert (scratch.major, scratch.minor) == (259, 3)
    assert scratch.mount_point == "/scratch"
    assert scratch.fstype == "xfs" and scratch.source == "/dev/nvme0n1p1"
    assert "noatime" in scratch.options and "inode64" in scratch.super_options
    fast = mounts[3]
    assert fast.fstype == "ext4" and fast.options == ("rw", "nodiratime")
    assert "lazytime" in fast.all_options
    bind = mounts[5]
    assert bind.root == "/sub" and bind.fstype == "ext4" and bind.source == "/dev/vda"


def test_octal_escapes_are_decoded() -> None:
    mounts = parse_mountinfo(FIXTURE)
    assert mounts[4].mount_point == "/mnt/with space"


def test_find_mount_longest_prefix_and_device() -> None:
    mounts = parse_mountinfo(FIXTURE)
    m = find_mount(mounts, "/scratch/fast/alice/x", (259, 4))
    assert m is not None and m.mount_point == "/scratch/fast"
    # Without a device, the later mount on /scratch (tmpfs over xfs) wins.
    m = find_mount(mounts, "/scratch/alice")
    assert m is not None and m.fstype == "tmpfs"
    # With the device of the xfs file system, the xfs mount is chosen.
    m = find_mount(mounts, "/scratch/alice", (259, 3))
    assert m is not None and m.fstype == "xfs"
    # /scratchy is not under /scratch.
    m = find_mount(mounts, "/scratchy/x")
    assert m is not None and m.mount_point == "/"
    assert find_mount([], "/x") is None


def test_atime_modes() -> None:
    strict = atime_semantics(("rw",))
    assert strict.mode == "strictatime" and not strict.warnings
    rel = atime_semantics(("rw", "relatime"))
    assert rel.mode == "relatime" and "24 hours" in rel.description
    no = atime_semantics(("rw", "noatime"))
    assert no.mode == "noatime" and any("invisible" in w for w in no.warnings)
    nodir = atime_semantics(("rw", "nodiratime", "relatime"))
    assert nodir.nodiratime and "directory" in nodir.description
    lazy = atime_semantics(("rw", "relatime", "lazytime"))
    assert lazy.lazytime and "24 hours" in lazy.description and "crash" in lazy.description


def test_default_time_field_depends_on_noatime() -> None:
    rel = atime_semantics(("rw", "relatime"))
    no = atime_semantics(("rw", "noatime"))
    assert effective_time_field(None, rel) == ("newest", [])
    field, warnings = effective_time_field(None, no)
    assert field == "newest-mc" and any("reads are invisible" in w for w in warnings)
    assert effective_time_field("newest", no)[0] == "newest-mc"
    field, warnings = effective_time_field("atime", no)
    assert field == "atime" and any("--time atime" in w for w in warnings)
    assert effective_time_field("mtime", rel) == ("mtime", [])
    with pytest.raises(ValueError):
        effective_time_field("birthtime", rel)


def test_this_machines_root_mount_is_found() -> None:
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        mounts = parse_mountinfo(fh.read())
    st = os.stat("/")
    m = find_mount(mounts, "/", (os.major(st.st_dev), os.minor(st.st_dev)))
    assert m is not None and m.mount_point == "/"


def _escape(path: str) -> str:
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in path)


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
        min_size=1,
        max_size=40,
    )
)
def test_mount_points_round_trip_through_the_kernel_escaping(name: str) -> None:
    """The kernel writes space, tab, newline and backslash as octal; we read them back."""
    mp = "/mnt/" + name.replace("/", "_")
    line = f"50 27 8:1 / {_escape(mp)} rw,noatime - ext4 /dev/sda1 rw\n"
    (m,) = parse_mountinfo(line)
    assert m.mount_point == mp
    assert m.options == ("rw", "noatime")
