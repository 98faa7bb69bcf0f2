"""The four email templates: content, escaping, inlined CSS with dark mode kept, text part."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from watcloud.core.errors import InputError
from watcloud.notify import Message, render
from watcloud.notify.templating import MAX_ITEMS, TEMPLATES, filesize

DATA = Path(__file__).parent / "data"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_renders_with_dark_mode_support(name: str):
    r = render(name, load(name))
    assert r.subject.startswith("[WATcloud] ")
    html = r.html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    # The <style> block survives inlining with its dark-mode media query ...
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style and "@media (prefers-color-scheme: dark)" in style.group(1)
    assert "[data-ogsc]" in style.group(1)
    # ... and the light colours are inlined for clients that drop <style>.
    assert re.search(r'class="card text"[^>]*style="[^"]*background-color: #ffffff', html)
    assert re.search(r'<td class="brand"[^>]*style="[^"]*color: #111827', html)
    # The logo is an inline attachment; its alt text stands in where images are blocked.
    assert 'src="cid:watcloud-logo"' in html and 'alt="WATcloud"' in html
    assert r.inline_images["watcloud-logo"].startswith(b"\x89PNG")
    assert r.text.strip() and not re.search(r"<(p|td|table|a|span)\b", r.text)


def test_outage_content_and_statuses():
    data = load("outage")
    r = render("outage", data)
    assert r.subject == "[WATcloud] Power outage scheduled: Planned power outage in the server room"
    for m in data["machines_affected"]:
        assert m in r.html and m in r.text
    assert "2025-09-14 07:00 ET" in r.text and "12 hours" in r.text
    assert "Read the official notice" in r.html and data["notice_url"] in r.text
    assert r.html.count("<p") >= 2  # additional_info paragraphs
    c = render("outage", {**data, "status": "cancelled"})
    assert "cancelled" in c.subject and "has been cancelled" in c.text and "badge-red" in c.html
    u = render("outage", {**data, "status": "updated"})
    assert "have changed" in u.text
    with pytest.raises(InputError, match="key 'status' must be one of"):
        render("outage", {**data, "status": "maybe"})


def test_expiry_warning_escapes_and_formats():
    r = render("expiry-warning", load("expiry-warning"))
    assert "<script>alert(1)</script>" not in r.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.log" in r.html
    assert "<script>alert(1)</script>.log" in r.text  # plain text is not HTML-escaped
    assert "264.0 GiB" in r.text and "200.0 GiB" in r.html and "0 B" in r.text
    assert "90 days" in r.text and "2025-10-01" in r.subject


def test_long_file_lists_are_cut_to_the_largest():
    items = [
        {"path": f"/scratch/u/f{i}", "last_used": "2025-01-01", "bytes": i}
        for i in range(MAX_ITEMS + 25)
    ]
    r = render("expiry-warning", {**load("expiry-warning"), "items": items})
    assert f"/scratch/u/f{MAX_ITEMS + 24}" in r.html and "/scratch/u/f0<" not in r.html
    assert "and 25 more items" in r.html and "and 25 more items" in r.text


def test_announcement_paragraphs_and_optional_link():
    r = render("announcement", load("announcement"))
    assert "New GPU nodes &amp; a new login message" in r.html
    assert r.subject == "[WATcloud] New GPU nodes & a new login message"
    assert "They are available through SLURM right away." in r.html  # joined paragraph
    no_link = render("announcement", {"title": "t", "body": "b"})
    assert "Read more" not in no_link.html and "Read more" not in no_link.text


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("nope", {}, "unknown template 'nope'"),
        ("announcement", {"title": "x"}, "missing key(s): body"),
        (
            "expiry-deletion",
            {"user": "u", "root": "/r", "total_bytes": 1, "items": "x"},
            "key 'items'",
        ),
        (
            "expiry-warning",
            {
                **json.loads((DATA / "expiry-warning.json").read_text()),
                "items": [{"path": "/a", "bytes": 1}],
            },
            "last_used",
        ),
    ],
)
def test_bad_data_is_input_error(name: str, data: dict, needle: str):
    with pytest.raises(InputError) as exc:
        render(name, data)
    assert needle in str(exc.value)


def test_a_spec_subject_replaces_the_template_subject_and_its_derived_id():
    from watcloud.notify import message_from_spec

    spec = {"to": "a@example.org", "template": "announcement", "data": load("announcement")}
    default = message_from_spec(spec, "spec")
    renamed = message_from_spec({**spec, "subject": "Hello"}, "spec")
    keyed = message_from_spec({**spec, "subject": "Hello", "id": "k1"}, "spec")
    assert default.subject == "[WATcloud] New GPU nodes & a new login message"
    assert renamed.subject == keyed.subject == "Hello"
    assert renamed.html == default.html and renamed.inline_images == default.inline_images
    assert renamed.key not in (default.key, "k1") and keyed.key == "k1"


def test_force_dark_and_no_inlining():
    r = render("announcement", load("announcement"), force_dark=True, inline_css=False, logo="data")
    assert '<meta name="color-scheme" content="dark">' in r.html
    assert "@media (prefers-color-scheme: dark)" not in r.html
    assert "background-color: #0d1117 !important" in r.html
    assert (
        'style="margin: 0; padding: 0;"' in r.html
        and "background-color: #ffffff;" not in r.html.split("</style>")[1]
    )
    assert 'src="data:image/png;base64,' in r.html and r.inline_images == {}


def test_rendered_message_carries_the_logo_to_the_wire():
    from email import message_from_bytes

    from watcloud.notify import mime
    from watcloud.notify.config import NotifyConfig

    msg = render("announcement", load("announcement")).to_message("a@example.org")
    em = message_from_bytes(mime.to_bytes(mime.build(msg, NotifyConfig(sender="x@watcloud.test"))))
    types = [p.get_content_type() for p in em.walk()]
    assert types == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    # A caller that builds its own Message from .html still gets the logo attached.
    bare = Message(to=["a@example.org"], subject="s", html=msg.html)
    em2 = message_from_bytes(
        mime.to_bytes(mime.build(bare, NotifyConfig(sender="x@watcloud.test")))
    )
    assert "image/png" in [p.get_content_type() for p in em2.walk()]
    assert (
        "Read more (https://cloud.watonomous.ca/docs)"
        in em2.get_payload()[0].get_payload(decode=True).decode()
    )


def test_filesize():
    assert [filesize(v) for v in (0, 1023, 1536, 5 * 1024**3, "x")] == [
        "0 B",
        "1023 B",
        "1.5 KiB",
        "5.0 GiB",
        "x",
    ]


def test_importing_notify_stays_light():
    code = (
        "import sys, watcloud.notify as n; "
        "mods = ('jinja2', 'css_inline', 'pydantic', 'httpx', 'smtplib'); "
        "heavy = [m for m in mods if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
