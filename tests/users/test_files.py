"""Account files round-trip byte for byte; only well-formed entries are parsed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from watcloud.users.files import Line, insert_position, parse_lines, serialize


def test_round_trip_with_oddities() -> None:
    data = (
        b"# a comment\n"
        b"root:x:0:0:root:/root:/bin/bash\n"
        b"\n"
        b"broken line without colons\n"
        b"weird:x:notanumber:0::/:/bin/sh\n"
        b"caf\xc3\xa9:x:1001:1001:\xff\xfe:/home/c:/bin/sh\n"
        b"+@netgroup::::::\n"
        b"-baduser::::::"
    )
    lines, trailing = parse_lines("passwd", data)
    assert not trailing
    assert serialize(lines, trailing) == data
    parsed = [ln.name for ln in lines if ln.fields is not None]
    assert parsed == ["root", "café"]
    assert insert_position(lines) == 6  # before the NIS lines


def test_field_counts_per_kind() -> None:
    shadow, _ = parse_lines("shadow", b"a:!:1:0:99999:7:::\nb:!:1\n")
    assert [ln.fields is not None for ln in shadow] == [True, False]
    group, _ = parse_lines("group", b"g:x:10:a,b\ng:x:x:\n")
    assert [ln.fields is not None for ln in group] == [True, False]


def test_make_line() -> None:
    ln = Line.make(["a", "x", "1", ""])
    assert ln.raw == b"a:x:1:" and ln.name == "a"


@given(st.binary(max_size=400))
def test_any_bytes_round_trip(data: bytes) -> None:
    for kind in ("passwd", "shadow", "group", "gshadow"):
        lines, trailing = parse_lines(kind, data)
        assert serialize(lines, trailing) == data
