"""Relevance with reasons: every hard case the issue lists, on notices written for the project."""

from __future__ import annotations

import pytest

from watcloud.outage.classify import classify, detect_status
from watcloud.outage.parse import parse_text


def page(title: str, where: str, what: str, how: str = "", when: str = "June 14, 2025") -> str:
    parts = [
        "Service Interruption Notice",
        title,
        "Where is this happening?",
        where,
        "What is happening?",
        what,
        "When is this happening?",
        when,
    ]
    if how:
        parts += ["How does this affect the UW community?", how]
    parts += ["Who to contact for more information?", "Facilities desk, ext. 30000"]
    return "\n\n".join(parts)


RELEVANT = {
    "electrical shutdown": page(
        "Electrical Shutdown - CPH - June 14",
        "Carl A. Pollock Hall",
        "Electrical Shutdown",
        "Normal power will be off.",
    ),
    "misspelled name": page(
        "Power Outage - June 14",
        "Carl Pollack Hall and DWE",
        "Power interruption for switchgear work.",
    ),
    "name without the A": page("Electricity - June 14", "Carl Pollock Hall", "Transformer work."),
    "hydro shutdown": page("Hydro Shutdown - CPH", "CPH", "Hydro shutdown for utility repairs."),
    "multi-service incl. power": page(
        "Multiple Service Shutdown - CPH",
        "CPH",
        "Heating, electrical power and domestic water will be shut off to replace a riser.",
    ),
    "switch-over with a brief interruption": page(
        "Electrical Switch-over - CPH",
        "CPH",
        "Switch-over to the new transformer. Expect a brief interruption during the transfer.",
    ),
    "campus-wide": page(
        "Campus-wide Power Outage",
        "All buildings on main campus",
        "A campus-wide power outage is needed for substation work.",
    ),
    "power off but emergency power on": page(
        "Electrical Shutdown - CPH",
        "CPH",
        "Normal power will be off, but emergency power will remain on for exit lights.",
    ),
    "power blip during a transfer": page(
        "Electrical Work - CPH", "CPH", "A power blip is expected when the load is transferred."
    ),
    "temporary generator": page(
        "Substation Maintenance - CPH",
        "CPH",
        "CPH will run on a temporary generator while the substation is serviced.",
    ),
    "cancelled is still about a relevant outage": page(
        "CANCELLED - Electrical Shutdown - CPH",
        "CPH",
        "Electrical shutdown. This work has been cancelled.",
    ),
}
NOT_RELEVANT = {
    "other building": page(
        "Electrical Shutdown - E5",
        "Engineering 5",
        "Electrical Shutdown",
        "Normal power will be off.",
    ),
    "power door operators": page(
        "Accessibility - CPH",
        "CPH",
        "Power door operators at the main entrance are out of service.",
    ),
    "power washing": page("Exterior cleaning - CPH", "CPH", "Power washing of the windows."),
    "generator test, normal power stays on": page(
        "Emergency Generator Test - CPH",
        "CPH",
        "Load test of the emergency generator.",
        "Normal power will remain on throughout the test.",
    ),
    "electrical power is not affected": page(
        "Water Shutdown - CPH",
        "CPH",
        "Domestic water will be shut off.",
        "Electrical power is not affected.",
    ),
    "no interruption expected": page(
        "Electrical Panel Work - CPH",
        "CPH",
        "New breakers in panel 3B.",
        "No interruption expected.",
    ),
    "water": page("Water Shutdown - CPH", "CPH", "Domestic cold water will be shut off."),
    "steam": page("Steam Shutdown - CPH", "CPH", "Steam will be shut down for valve work."),
    "gas": page("Natural Gas Shutdown - CPH", "CPH", "Natural gas will be isolated."),
    "heating": page("Heating Shutdown - CPH", "CPH", "Heating will be off."),
    "cooling": page("Cooling Shutdown - CPH", "CPH", "Air conditioning will be shut down."),
    "elevators": page("Elevator Shutdown - CPH", "CPH", "The elevator will be out of service."),
    "network": page(
        "Network Outage - CPH",
        "CPH",
        "Wired network will be down; electrical power is not affected.",
    ),
    "fire alarm testing": page("Fire Alarm Testing - CPH", "CPH", "Alarms will sound."),
    "bridge to CPH stays open": page(
        "Electrical Shutdown - DWE",
        "Douglas Wright Engineering",
        "Electrical shutdown.",
        "The bridge to CPH stays open during the shutdown.",
    ),
    "occupants may use space in CPH": page(
        "Power Outage - E3",
        "E3",
        "Power outage for transformer work.",
        "Occupants may use space in CPH for the day.",
    ),
    "CPH excepted": page(
        "Campus-wide Power Outage",
        "All buildings on main campus except CPH",
        "Campus-wide power outage for utility work.",
    ),
    "power restored report": page(
        "Power Restored - CPH", "CPH", "Power has been restored to CPH after the outage."
    ),
    "another institution": page(
        "Power Shutdown - Waterloo Campus",
        "Laurier's Waterloo campus",
        "Power shutdown to the campus block.",
    ),
    "power down your computers (instruction, not an outage)": page(
        "Network Outage - CPH",
        "CPH",
        "Network switches will be replaced.",
        "Please power down your computers before you leave.",
    ),
    "PowerPoint and powerful": page(
        "Lecture Hall Closure - CPH",
        "CPH",
        "Room 1111 is closed; the PowerPoint projector and "
        "the powerful new sound system are being installed.",
    ),
    "power to one piece of equipment": page(
        "Elevator Work - CPH", "CPH", "Power to the elevator will be shut off for repairs."
    ),
}


@pytest.mark.parametrize("name", list(RELEVANT))
def test_relevant(name: str) -> None:
    d = classify(parse_text(RELEVANT[name]))
    assert d.relevant, [r.__dict__ for r in d.reasons]
    assert d.reasons, "a decision always carries reasons"


@pytest.mark.parametrize("name", list(NOT_RELEVANT))
def test_not_relevant(name: str) -> None:
    d = classify(parse_text(NOT_RELEVANT[name]))
    assert not d.relevant, [r.__dict__ for r in d.reasons]
    assert d.reasons


def test_reasons_are_auditable() -> None:
    d = classify(parse_text(NOT_RELEVANT["bridge to CPH stays open"]))
    codes = {r.code for r in d.reasons}
    assert "power-off" in codes and "passing-mention" in codes and "elsewhere" in codes
    d = classify(parse_text(page("Water Shutdown - CPH", "CPH", "There will be no power outage.")))
    assert not d.relevant
    assert any(r.code == "negated" and "no power outage" in r.evidence for r in d.reasons)


def test_configured_building() -> None:
    text = NOT_RELEVANT["other building"]
    assert classify(parse_text(text), {"E5": ["Engineering 5"]}).relevant
    assert not classify(parse_text(text), {"CPH": []}).relevant


def test_campus_wide_can_be_turned_off() -> None:
    assert not classify(parse_text(RELEVANT["campus-wide"]), campus_wide=False).relevant


@pytest.mark.parametrize(
    ("what", "status"),
    [
        ("Electrical shutdown.", "scheduled"),
        ("Electrical shutdown. This work has been cancelled.", "cancelled"),
        ("Electrical shutdown. Postponed until further notice.", "postponed"),
        ("Electrical shutdown. The work has been postponed to June 21.", "revised"),
        ("REVISED DATE: electrical shutdown.", "revised"),
    ],
)
def test_status(what: str, status: str) -> None:
    notice = parse_text(page("Electrical Shutdown - CPH", "CPH", what))
    assert detect_status(notice)[0] == status
    d = classify(notice)
    assert d.label_status == ("cancelled" if status in ("cancelled", "postponed") else "scheduled")


def test_homepage_style_inline_questions() -> None:
    text = (
        "Mar. 2, 2024Electrical Power Shutdown - CPH - Mar 16\n\n"
        "What is happening? Electrical power will be shut off to Carl A. Pollock Hall.\n\n"
        "When is this happening? Saturday March 16 from 7:00 a.m. to 11:00 a.m.\n\n"
        "Questions or concerns? Contact the help desk at ext. 33333."
    )
    n = parse_text(text)
    assert n.style == "homepage"
    assert n.title == "Electrical Power Shutdown - CPH - Mar 16"
    assert n.sections["when"].startswith("Saturday March 16")
    assert classify(n).relevant
