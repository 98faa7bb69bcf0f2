"""The pure policy: durations, exclusions, protected paths, last-used field."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcloud.expiry.policy import (
    Policy,
    format_duration,
    last_used,
    parse_duration,
    relative_to_root,
)


def test_durations() -> None:
    assert parse_duration("70d") == 70 * 86400
    assert parse_duration("70") == 70 * 86400
    assert parse_duration("12h") == 12 * 3600
    assert parse_duration("2w") == 14 * 86400
    assert parse_duration("1.5d") == 1.5 * 86400
    assert parse_duration("30s") == 30
    for bad in ("", "d", "-3d", "7y", "3 days"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert format_duration(70 * 86400) == "70d"
    assert format_duration(3 * 3600) == "3h"
    assert format_duration(2.5) == "2.5s"


def test_exclusions_and_protected() -> None:
    p = Policy.make(
        root="/scratch",
        threshold_seconds=10,
        now=100,
        exclude=["*.keep", ".git", "alice/models/*"],
        protected=["/scratch/bob/thesis", "carol"],
    )
    assert p.cutoff == 90
    assert p.kept("alice/a.keep", "a.keep")
    assert p.kept("x/y/.git", ".git")
    assert not p.kept("x/y/.github", ".github")
    assert p.kept("alice/models/big.pt", "big.pt")
    assert not p.kept("bob/models/big.pt", "big.pt")
    assert p.kept("bob/thesis", "thesis")
    assert p.kept("carol", "carol")
    assert not p.kept("bob/thesis2", "thesis2")
    with pytest.raises(ValueError):
        Policy.make(root="/scratch", threshold_seconds=1, now=1, protected=["/etc"])


def test_relative_to_root() -> None:
    assert relative_to_root("/scratch", "/scratch/a/b") == "a/b"
    assert relative_to_root("/scratch/", "a/./b/") == "a/b"
    assert relative_to_root("/scratch", "/scratch") == ""
    for outside in ("/scratch/../etc/passwd", "/scratchy/a", "../x", "/etc"):
        with pytest.raises(ValueError):
            relative_to_root("/scratch", outside)


def test_last_used_fields() -> None:
    assert last_used("newest", 1, 3, 2) == 3
    assert last_used("newest-mc", 9, 3, 2) == 3
    assert last_used("atime", 1, 3, 2) == 1
    assert last_used("mtime", 1, 3, 2) == 3
    assert last_used("ctime", 1, 3, 2) == 2
    with pytest.raises(ValueError):
        last_used("btime", 1, 2, 3)


@given(
    st.lists(
        st.sampled_from(["a", "b", "..", ".", "", "scratch", "scratchy", "c d"]),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_relative_to_root_never_escapes(parts: list[str], absolute: bool) -> None:
    root = "/scratch"
    path = ("/" if absolute else "") + "/".join(parts)
    try:
        rel = relative_to_root(root, path)
    except ValueError:
        return
    full = os.path.normpath(os.path.join(root, rel))
    assert full == root or full.startswith(root + "/")
    assert ".." not in rel.split("/")
