"""The wire policy's shortcut writes exactly what compat32's folding writes."""

from __future__ import annotations

import re
import string
from email import message_from_bytes
from email.errors import HeaderParseError
from email.policy import compat32
from email.utils import getaddresses, parseaddr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcloud.notify import Message, NotifyConfig, mime

NAMES = st.sampled_from(["Subject", "To", "From", "Message-ID", "X-Watcloud-Id", "Content-Type"])
# printable ASCII plus tabs and runs of spaces; some values fold, some do not, some are not ASCII
VALUES = st.one_of(
    st.text(alphabet=string.printable.replace("\x0b", "").replace("\x0c", ""), max_size=120),
    st.text(max_size=40),
)


@given(NAMES, VALUES)
def test_fold_binary_matches_compat32(name: str, value: str) -> None:
    try:
        expected: bytes | type[Exception] = compat32.fold_binary(name, value)
    except HeaderParseError:  # compat32 refuses a value that smuggles in another header
        expected = HeaderParseError
    if expected is HeaderParseError:
        with pytest.raises(HeaderParseError):
            mime.WIRE_POLICY.fold_binary(name, value)
    else:
        assert mime.WIRE_POLICY.fold_binary(name, value) == expected


def test_the_shortcut_is_taken_only_for_short_single_line_ascii() -> None:
    calls: list[str] = []

    class Spy(mime.WirePolicy):
        def _fold(self, name: str, value: object, sanitize: bool) -> str:
            calls.append(name)
            return str(super()._fold(name, value, sanitize))  # type: ignore[misc]

    spy = Spy()
    spy.fold_binary("Subject", "Power outage on Tuesday")
    assert calls == []
    spy.fold_binary("Subject", "x" * 80)  # too long for one line: compat32 folds it
    spy.fold_binary("Subject", "Stromausfall – Pollock Hall")  # not ASCII
    spy.fold_binary("Subject", "two\nlines")
    assert calls == ["Subject", "Subject", "Subject"]


def test_a_whole_message_serialises_as_compat32_does() -> None:
    settings = NotifyConfig(sender="WATcloud Ops <ops@watcloud.test>", list_unsubscribe="<x@y>")
    msg = Message(
        to=["Ünïcode Person <a@example.org>", "b@example.org"],
        subject="Planned outage – " + "long subject words " * 6,
        text="Plain body\nline two\n",
        html="<p>Hello</p>",
    )
    em = mime.build(msg, settings)
    ours = mime.to_bytes(em)
    reference = em.as_bytes(policy=compat32).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert ours == reference
    parsed = message_from_bytes(ours)
    assert parsed["Subject"].strip().startswith("=?utf-8?")  # folded and encoded by compat32's path
    assert b"\r\n " in ours.split(b"\r\n\r\n", 1)[0]  # a continuation line in the headers


BARE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*",
    re.ASCII,
)


@given(st.from_regex(BARE, fullmatch=True))
def test_bare_addresses_skip_the_parser_without_changing_anything(address: str) -> None:
    assert parseaddr(address) == ("", address)
    assert getaddresses([address]) == [("", address)]
    assert mime.addr_spec(address) == address


def test_addresses_with_names_still_go_through_the_parser() -> None:
    assert mime.addr_spec("Alice Example <alice@example.org>") == "alice@example.org"
    assert mime.addr_spec('"Bob, Jr." <bob@example.org>') == "bob@example.org"
    settings = NotifyConfig(sender="WATcloud Ops <ops@watcloud.test>")
    em = mime.build(
        Message(
            to=["Ünï <u@example.org>", "b@example.org", "c@x.org, d@y.org"], subject="s", text="t"
        ),
        settings,
    )
    assert em["From"] == "WATcloud Ops <ops@watcloud.test>"
    assert [a for _, a in getaddresses([em["To"]])] == [
        "u@example.org",
        "b@example.org",
        "c@x.org",
        "d@y.org",
    ]


def test_the_boundary_is_in_no_body_and_the_message_parses_back() -> None:
    settings = NotifyConfig(sender="ops@watcloud.test")
    em = mime.build(
        Message(
            to=["a@example.org"], subject="s", text="plain --=_watcloud_ text", html="<p>h</p>"
        ),
        settings,
    )
    boundary = em.get_boundary()
    assert boundary is not None and boundary.startswith("=_watcloud_")
    parsed = message_from_bytes(mime.to_bytes(em))
    parts = [p.get_payload(decode=True) for p in parsed.walk() if not p.is_multipart()]
    assert parts == [b"plain --=_watcloud_ text", b"<p>h</p>"]
