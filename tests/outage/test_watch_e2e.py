"""End to end: `watcloud outage watch --once` against a local PlantOps-like site whose pages
change between polls, delivering to a real SMTP server (aiosmtpd) and a webhook sink."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.outage.conftest import Site, SmtpServer, listing_html, notice_html

pytestmark = pytest.mark.integration


def day(offset: int) -> date:
    return date.today() + timedelta(days=offset)


def spoken(d: date) -> str:
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def write_config(tmp_path: Path, site: Site, **extra: Any) -> Path:
    cfg = {
        "state_db": str(tmp_path / "outage.db"),
        "web": {"listing_url": f"{site.base}/service-interruptions/", "backoff": 0},
        "email": {"to": ["cluster-users@example.org"]},
        "machines_affected": ["trpro-slurm1", "trpro-slurm2"],
        **extra,
    }
    path = tmp_path / "outage.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return path


@pytest.fixture
def env(smtp_server: SmtpServer, site: Site, tmp_path: Path) -> dict[str, str]:
    return {
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(smtp_server.port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_FROM": "watcloud-outage@example.org",
        "WATCLOUD_OUTAGE_DISCORD_WEBHOOK": f"{site.base}/webhook/123/abc",
    }


def test_two_polls_announce_exactly_what_changed(
    run_watcloud: Any, site: Site, smtp_server: SmtpServer, tmp_path: Path, env: dict[str, str]
) -> None:
    d1, d2, d3 = day(30), day(40), day(50)
    site.set_notice(
        101,
        notice_html(
            f"Electrical Shutdown, {spoken(d1)} between 7:00am-1:00pm, CPH",
            "Carl A. Pollock Hall",
            "Electrical Shutdown. Reason: replacement of the main breaker.",
            spoken(d1),
        ),
    )
    site.set_notice(
        102,
        notice_html(
            "Water Shutdown - CPH",
            "CPH",
            "Domestic water will be shut off.",
            f"{spoken(d1)}, 8 a.m. to noon",
            "Electrical power is not affected.",
        ),
    )
    site.set_notice(
        103,
        notice_html(
            "Power Outage - CPH, DWE",
            "Carl Pollack Hall and DWE",
            "Power interruption for transformer testing.",
            f"{spoken(d2)} from 6:00 a.m. to 10:00 a.m.",
        ),
    )
    site.set_listing(listing_html([(101, "Electrical Shutdown"), (102, "Water"), (103, "Power")]))
    config = write_config(tmp_path, site)

    first = run_watcloud("outage", "watch", "--once", "--config", str(config), env=env)
    assert first.returncode == 0, first.stderr
    mails = smtp_server.take()
    assert sorted(m.subject for m in mails) == sorted(
        [
            f"Power outage in CPH on {d1.isoformat()}",
            f"Power outage in CPH on {d2.isoformat()}",
        ]
    )
    m101 = next(m for m in mails if d1.isoformat() in m.subject)
    text = m101.body("plain")
    assert f"{d1.isoformat()} 07:00 ET" in text and f"{d1.isoformat()} 13:00 ET" in text
    assert "6 hours" in text and "trpro-slurm1" in text and "notice.php?ID=101" in text
    assert "replacement of the main breaker" in text.lower()
    assert m101.body("html"), "the HTML part comes from notify's outage template"
    assert m101.rcpt_tos == ["cluster-users@example.org"]
    assert len(site.webhooks) == 2 and all(w["path"].startswith("/webhook/") for w in site.webhooks)
    # Polite: a User-Agent naming WATcloud, and one listing + three notices.
    assert all("WATcloud" in r["ua"] for r in site.log)
    assert len(site.log) == 4

    # Between polls: 101 gets a new date, 103 is cancelled, 104 (unrelated) and 105 are new,
    # 102 is unchanged.
    site.set_notice(
        101,
        notice_html(
            f"REVISED DATE - Electrical Shutdown, {spoken(d3)} between 7:00am-1:00pm, CPH",
            "Carl A. Pollock Hall",
            "Electrical Shutdown. Reason: replacement of the main breaker.",
            f"{spoken(d3)} (originally scheduled for {d1:%B} {d1.day})",
        ),
    )
    site.set_notice(
        103,
        notice_html(
            "CANCELLED - Power Outage - CPH, DWE",
            "Carl Pollack Hall and DWE",
            "Power interruption for transformer testing. This work has been cancelled.",
            f"{spoken(d2)} from 6:00 a.m. to 10:00 a.m.",
        ),
    )
    site.set_notice(
        104,
        notice_html(
            "Electrical Shutdown - E5",
            "Engineering 5",
            "Electrical shutdown.",
            f"{spoken(d2)}, 7 a.m. to 3 p.m.",
            "The bridge to CPH stays open.",
        ),
    )
    site.set_notice(
        105,
        notice_html(
            "Hydro Shutdown - Carl A. Pollock Hall",
            "Carl A. Pollock Hall",
            "Hydro shutdown for utility work.",
            f"{spoken(d3)}, starting at 9:00 pm for 8hrs",
        ),
    )
    site.set_listing(
        listing_html(
            [(105, "Hydro"), (104, "E5"), (101, "Revised"), (102, "Water"), (103, "Cancelled")]
        )
    )
    n_before = len(site.log)

    second = run_watcloud("outage", "watch", "--once", "--config", str(config), env=env)
    assert second.returncode == 0, second.stderr
    got = sorted(m.subject for m in smtp_server.take())
    assert got == sorted(
        [
            f"[Updated] Power outage in CPH on {d3.isoformat()}",
            f"[Cancelled] Power outage in CPH on {d2.isoformat()}",
            f"Power outage in CPH on {d3.isoformat()}",
        ]
    )
    second_log = site.log[n_before:]
    r102 = [r for r in second_log if r["path"].endswith("ID=102")]
    assert r102 and r102[0]["inm"] and r102[0]["status"] == 304, "conditional GET for 102"
    assert len(site.webhooks) == 5

    # A restart with nothing new sends nothing.
    third = run_watcloud("outage", "watch", "--once", "--config", str(config), env=env)
    assert third.returncode == 0, third.stderr
    assert smtp_server.take() == []
    assert len(site.webhooks) == 5


def test_garbled_listing_and_notice_warn_and_the_next_poll_continues(
    run_watcloud: Any, site: Site, smtp_server: SmtpServer, tmp_path: Path, env: dict[str, str]
) -> None:
    d1 = day(20)
    site.set_listing("<html><body><ul><li><a href='/x'>Redesigned site</a></li></ul></body></html>")
    config = write_config(tmp_path, site, admins=["admins@example.org"])
    r = run_watcloud("outage", "watch", "--once", "--config", str(config), env=env)
    assert r.returncode == 0, r.stderr
    assert "listing changed shape" in r.stderr
    mails = smtp_server.take()
    assert [m.rcpt_tos for m in mails] == [["admins@example.org"]], "only the admins hear about it"
    assert "listing changed shape" in mails[0].subject

    # Next poll: the listing is back, one notice is garbled, one is good.
    site.set_notice(201, "<html><body><p>Internal Server Error</p></body></html>")
    site.set_notice(
        202,
        notice_html(
            "Electrical Shutdown - CPH",
            "CPH",
            "Electrical shutdown.",
            f"{spoken(d1)}, 7 a.m. to 9 a.m.",
        ),
    )
    site.set_listing(listing_html([(201, "Broken"), (202, "Electrical Shutdown - CPH")]))
    r = run_watcloud("outage", "watch", "--once", "--config", str(config), "-o", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert "notice 201 could not be read" in r.stderr
    report = json.loads(r.stdout)
    assert report["relevant"] == 1
    assert sorted(a["channel"] for a in report["announcements"]) == ["discord", "email"]
    assert any("201" in w for w in report["warnings"])
    mails = smtp_server.take()
    users = [m for m in mails if m.rcpt_tos == ["cluster-users@example.org"]]
    admins = [m for m in mails if m.rcpt_tos == ["admins@example.org"]]
    assert [m.subject for m in users] == [f"Power outage in CPH on {d1.isoformat()}"]
    assert len(admins) == 1 and "201" in admins[0].subject


def test_binary_notice_page_gets_the_garbled_notice_warning(
    run_watcloud: Any, site: Site, smtp_server: SmtpServer, tmp_path: Path, env: dict[str, str]
) -> None:
    """Issue 16: a page that has a title and the question headings but binary data for text
    is a "garbled notice" warning (stderr and the admins), not a stored, announced notice."""
    junk = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\n\r\t") * 20
    site.set_notice(
        301,
        notice_html("Electrical Shutdown - CPH", "CPH", junk, f"{spoken(day(9))} \x00\x01{junk}"),
    )
    site.set_listing(listing_html([(301, "Electrical Shutdown - CPH")]))
    config = write_config(tmp_path, site, admins=["admins@example.org"])
    r = run_watcloud("outage", "watch", "--once", "--config", str(config), env=env)
    assert r.returncode == 0, r.stderr
    assert "garbled notice" in r.stderr and "binary or garbled text" in r.stderr
    mails = smtp_server.take()
    assert [m.rcpt_tos for m in mails] == [["admins@example.org"]]
    assert "garbled notice" in mails[0].subject


def test_dead_site_is_a_warning_not_a_crash(
    run_watcloud: Any, site: Site, smtp_server: SmtpServer, tmp_path: Path, env: dict[str, str]
) -> None:
    site.status_override["/service-interruptions/"] = 503
    config = write_config(
        tmp_path,
        site,
        web={"listing_url": f"{site.base}/service-interruptions/", "attempts": 2, "backoff": 0},
    )
    r = run_watcloud("outage", "watch", "--once", "--config", str(config), env=env)
    assert r.returncode == 0, r.stderr
    assert "HTTP 503" in r.stderr
    assert len(site.requests_for("/service-interruptions/")) == 2, "retried once"
    assert smtp_server.take() == []


def test_bad_config_is_one_line_exit_2(run_watcloud: Any, tmp_path: Path) -> None:
    bad = tmp_path / "outage.yaml"
    bad.write_text("web:\n  min_interval: 0.1\n")
    r = run_watcloud("outage", "watch", "--once", "--config", str(bad))
    assert r.returncode == 2
    assert "web.min_interval" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    bad.write_text("emial: {}\n")
    r = run_watcloud("outage", "watch", "--once", "--config", str(bad))
    assert r.returncode == 2 and "emial" in r.stderr
