"""Hand-written notices for the bundled dataset (written for WATcloud; not PlantOps text).

Each entry: (style, posted, title, body, label). `body` is the whole notice as a person reads
it (the generator adds nothing). Labels follow the policy in docs/outage.md.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

S = "Service Interruption Notice"


def rel(*windows: tuple[str, str], status: str = "scheduled") -> dict[str, Any]:
    return {
        "relevant": True,
        "status": status,
        "windows": [{"start": a, "end": b} for a, b in windows],
    }


NO: dict[str, Any] = {"relevant": False}

NOTICES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    (
        "page",
        "2024-03-01",
        "Electrical Shutdown - CPH - Saturday March 16",
        f"""{S}

Electrical Shutdown - CPH - Saturday March 16

What is happening?

The building's main breaker will be replaced. All normal power to Carl A. Pollock Hall will be off.

When is this happening?

Saturday, March 16, between 6:00 a.m. and 2:00 p.m.

Where is this happening?

CPH, all floors

How does this affect the UW community?

Labs and offices will have no power. Emergency lighting will stay on. Please shut down computers the evening before.

Who to contact for more information?

Facilities Help Desk, ext. 33793""",
        rel(("2024-03-16T06:00", "2024-03-16T14:00")),
    ),
    (
        "page",
        "2023-10-20",
        "Power Interruption, CPH, Nov 4",
        f"""{S}

Power Interruption, CPH, Nov 4

Where is this happening?

C.A. Pollock Hall

What is happening?

Short power interruption to switch the building onto the new substation.

When is this happening?

Saturday, November 4, 2023. The switch-over will take place at 7:00 a.m. and power should be back by 7:30 a.m.

How does this affect the UW community?

Equipment that does not restart by itself after a power loss should be shut down first.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2023-11-04T07:00", "2023-11-04T07:30")),
    ),
    (
        "homepage",
        "2019-05-02",
        "Hydro Shutdown - Carl Pollock Hall - May 11",
        """May 2, 2019Hydro Shutdown - Carl Pollock Hall - May 11

What is happening? Waterloo North Hydro must isolate the feeder to Carl Pollock Hall. The building will be without power.

When is this happening? Saturday May 11 from 5:30 a.m. to 9:30 a.m.

Questions or concerns? Contact the Plant Operations Service Desk at ext. 33793.""",
        rel(("2019-05-11T05:30", "2019-05-11T09:30")),
    ),
    (
        "email",
        "2025-01-08",
        "Electrical Shutdown - CPH and E2 - January 18",
        """Electrical Shutdown - CPH and E2 - January 18

Service Interruption Notice

Where is this happening?

Carl A. Pollock Hall (CPH) and Engineering 2 (E2)

What is happening?

Electrical shutdown to tie in the new E2 distribution panel.

When is this happening?

January 18th, 11:00 p.m. until 5:00 a.m. the following morning

How does this affect the UW community?

Normal power will be off in both buildings overnight.

Who to contact for more information?

R. Tanaka, ext. 36612

View this notice online: https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID=9101""",
        rel(("2025-01-18T23:00", "2025-01-19T05:00")),
    ),
    (
        "page",
        "2022-06-01",
        "Multiple Service Shutdown - CPH - June 11",
        f"""{S}

Multiple Service Shutdown - CPH - June 11

Where is this happening?

Carl A. Pollock Hall

What is happening?

Electrical, chilled water and compressed air services will be shut down for the riser replacement.

When is this happening?

Saturday, June 11, 7:00am-3:00pm

How does this affect the UW community?

There will be no power, cooling or compressed air in the building.

Who to contact for more information?

Mechanical shop, ext. 35544""",
        rel(("2022-06-11T07:00", "2022-06-11T15:00")),
    ),
    (
        "page",
        "2024-08-20",
        "Campus-wide Electrical Outage - Sunday, September 1",
        f"""{S}

Campus-wide Electrical Outage - Sunday, September 1

Where is this happening?

Main campus, all buildings

What is happening?

A campus-wide electrical outage is needed so the utility can replace the main incoming switch.

When is this happening?

Sunday, September 1, 2024, 12:01 a.m. to 8:00 a.m.

How does this affect the UW community?

All buildings on main campus will be without normal power.

Who to contact for more information?

Plant Operations, ext. 33793""",
        rel(("2024-09-01T00:01", "2024-09-01T08:00")),
    ),
    (
        "page",
        "2025-02-10",
        "POSTPONED - Electrical Shutdown - CPH",
        f"""{S}

POSTPONED - Electrical Shutdown - CPH

What is happening?

The electrical shutdown in Carl A. Pollock Hall planned for Saturday, February 22 from 7 a.m. to noon has been postponed. A new date has not been set.

When is this happening?

Saturday, February 22, 2025, 7 a.m. to noon (postponed)

Where is this happening?

CPH

How does this affect the UW community?

No impact at this time.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2025-02-22T07:00", "2025-02-22T12:00"), status="cancelled"),
    ),
    (
        "page",
        "2025-04-01",
        "Rescheduled: Power Outage - CPH - April 26",
        f"""{S}

Rescheduled: Power Outage - CPH - April 26

Where is this happening?

Carl A. Pollock Hall

What is happening?

Power outage for transformer maintenance. This work has been rescheduled to Saturday, April 26 (it was previously scheduled for April 12).

When is this happening?

Saturday, April 26, 2025 from 6:00 a.m. to 11:00 a.m.

How does this affect the UW community?

Normal power will be off.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2025-04-26T06:00", "2025-04-26T11:00")),
    ),
    (
        "page",
        "2023-12-01",
        "Electrical Shutdown - CPH - December 9 and 10",
        f"""{S}

Electrical Shutdown - CPH - December 9 and 10

Where is this happening?

CPH

What is happening?

Normal power will be shut off on two consecutive days to replace bus duct sections.

When is this happening?

Saturday, December 9 and Sunday, December 10, 2023, from 7:00 a.m. until 4:00 p.m. on both days

How does this affect the UW community?

No power in the building except emergency lights.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2023-12-09T07:00", "2023-12-09T16:00"), ("2023-12-10T07:00", "2023-12-10T16:00")),
    ),
    (
        "homepage",
        "2018-07-03",
        "Electrical Shutdown - CPH - July 7",
        """Jul. 3, 2018Electrical Shutdown - CPH - July 7

What is happening? The electrical supply to Carl A. Pollock Hall will be interrupted to repair a faulty cable.

When is this happening? Saturday July 7 starting at 8:00 a.m. for approximately 4.5 hours.

What do I have to do? Turn off and unplug sensitive equipment.

Questions or concerns? Contact the Service Desk at ext. 33793.""",
        rel(("2018-07-07T08:00", "2018-07-07T12:30")),
    ),
    (
        "page",
        "2026-06-10",
        "Emergency Power Outage - CPH - Today",
        f"""{S}

Emergency Power Outage - CPH - Today

Where is this happening?

Carl A. Pollock Hall

What is happening?

An unplanned electrical shutdown is required today to repair a failing breaker.

When is this happening?

Today, June 10, from 2:00 p.m. to 4:00 p.m.

How does this affect the UW community?

Normal power will be off in CPH. Save your work.

Who to contact for more information?

Plant Operations, ext. 33793""",
        rel(("2026-06-10T14:00", "2026-06-10T16:00")),
    ),
    (
        "page",
        "2024-10-21",
        "Electrical Shutdown - CPH - November 2 (overnight)",
        f"""{S}

Electrical Shutdown - CPH - November 2 (overnight)

Where is this happening?

CPH

What is happening?

Electrical shutdown for switchgear testing.

When is this happening?

Saturday, November 2, 2024, starting at 11:00 p.m. and lasting 5 hours

How does this affect the UW community?

Normal power will be off overnight.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2024-11-02T23:00", "2024-11-03T03:00")),
    ),
    (
        "email",
        "2022-02-14",
        "CANCELLED: Electrical Shutdown - Carl A. Pollock Hall - Feb 26",
        """CANCELLED: Electrical Shutdown - Carl A. Pollock Hall - Feb 26

Service Interruption Notice

Where is this happening?

Carl A. Pollock Hall

What is happening?

The electrical shutdown scheduled for Saturday, February 26, 2022, 7:00 a.m. to 1:00 p.m. is cancelled. The work is no longer required.

When is this happening?

Saturday, February 26, 2022, 7:00 a.m. to 1:00 p.m. - CANCELLED

How does this affect the UW community?

Power will not be interrupted.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2022-02-26T07:00", "2022-02-26T13:00"), status="cancelled"),
    ),
    (
        "page",
        "2021-09-01",
        "Power Outage - Engineering buildings - Sept 18",
        f"""{S}

Power Outage - Engineering buildings - Sept 18

Where is this happening?

E2, E3, CPH, DWE and RCH

What is happening?

Power outage for the engineering substation upgrade.

When is this happening?

Sept. 18, 2021, 6 a.m. – 6 p.m.

How does this affect the UW community?

All five buildings will be without normal power. Elevators will not operate.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2021-09-18T06:00", "2021-09-18T18:00")),
    ),
    # Hard negatives
    (
        "page",
        "2024-05-06",
        "Electrical Shutdown - Engineering 5 - May 18",
        f"""{S}

Electrical Shutdown - Engineering 5 - May 18

Where is this happening?

Engineering 5

What is happening?

Electrical shutdown of normal power for panel replacement.

When is this happening?

Saturday, May 18, 7:00 a.m. to 3:00 p.m.

How does this affect the UW community?

E5 occupants who need to work may use the study space in Carl A. Pollock Hall. The CPH link stays open.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "page",
        "2023-04-11",
        "Accessibility - Power Door Operators - CPH",
        f"""{S}

Accessibility - Power Door Operators - CPH

Where is this happening?

Carl A. Pollock Hall, south entrance

What is happening?

The power door operators at the south entrance will be out of service while new actuators are installed.

When is this happening?

April 17 to April 19, 8:00 a.m. to 4:00 p.m.

How does this affect the UW community?

Please use the accessible north entrance.

Who to contact for more information?

Accessibility services, ext. 31234""",
        NO,
    ),
    (
        "page",
        "2022-07-05",
        "Emergency Generator Load Test - CPH",
        f"""{S}

Emergency Generator Load Test - CPH

Where is this happening?

CPH

What is happening?

Annual load test of the emergency generator serving Carl A. Pollock Hall.

When is this happening?

Tuesday, July 12, 9:00 a.m. to 11:00 a.m.

How does this affect the UW community?

Normal power will not be interrupted. Emergency lights may flicker during the transfer.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "page",
        "2025-03-03",
        "Domestic Water Shutdown - CPH - March 8",
        f"""{S}

Domestic Water Shutdown - CPH - March 8

Where is this happening?

Carl A. Pollock Hall

What is happening?

Domestic water will be shut off so a backflow preventer can be replaced. Electrical work by the same contractor requires no power shutdown.

When is this happening?

Saturday, March 8, 2025 from 7 a.m. to noon

How does this affect the UW community?

Washrooms will be closed.

Who to contact for more information?

Plumbing shop, ext. 35555""",
        NO,
    ),
    (
        "homepage",
        "2017-10-02",
        "Exterior Power Washing - CPH - Oct 7",
        """Oct. 2, 2017Exterior Power Washing - CPH - Oct 7

What is happening? Contractors will be power washing the exterior of Carl A. Pollock Hall.

When is this happening? Saturday October 7 from 7:00 a.m. to 5:00 p.m.

Questions or concerns? Contact Grounds at ext. 33300.""",
        NO,
    ),
    (
        "page",
        "2024-01-15",
        "Network Maintenance - CPH",
        f"""{S}

Network Maintenance - CPH

Where is this happening?

CPH

What is happening?

IST will replace the network switches in the CPH telecom rooms.

When is this happening?

January 20, 2024, 6:00 a.m. to 10:00 a.m.

How does this affect the UW community?

Wired and wireless network will be unavailable. There is no power outage.

Who to contact for more information?

IST Service Desk, ext. 44357""",
        NO,
    ),
    (
        "page",
        "2023-06-12",
        "Fire Alarm Testing - CPH",
        f"""{S}

Fire Alarm Testing - CPH

Where is this happening?

Carl A. Pollock Hall

What is happening?

Annual fire alarm verification. Bells will ring intermittently.

When is this happening?

June 19-21, 8:00 a.m. to 4:00 p.m.

How does this affect the UW community?

Occupants do not need to leave the building.

Who to contact for more information?

Fire Systems, ext. 32222""",
        NO,
    ),
    (
        "page",
        "2025-07-02",
        "Power Restored - CPH",
        f"""{S}

Power Restored - CPH

Where is this happening?

CPH

What is happening?

Power has been restored to Carl A. Pollock Hall following this morning's unplanned outage.

When is this happening?

July 2, 2025

How does this affect the UW community?

Building systems are back to normal.

Who to contact for more information?

Plant Operations, ext. 33793""",
        NO,
    ),
    (
        "page",
        "2024-09-09",
        "Elevator Modernization - CPH",
        f"""{S}

Elevator Modernization - CPH

Where is this happening?

CPH, passenger elevator

What is happening?

The elevator will be out of service for modernization; power to the elevator will be shut off during the work.

When is this happening?

September 16 to October 25, 2024

How does this affect the UW community?

Please use the elevator in E2 through the link.

Who to contact for more information?

Elevator shop, ext. 31111""",
        NO,
    ),
    (
        "page",
        "2022-11-14",
        "Heating Shutdown - CPH - Nov 19",
        f"""{S}

Heating Shutdown - CPH - Nov 19

Where is this happening?

Carl A. Pollock Hall

What is happening?

Heating will be shut down while the steam valve is replaced.

When is this happening?

Saturday, November 19, 6 a.m. to 2 p.m.

How does this affect the UW community?

Rooms may become cool. Electrical power is not affected.

Who to contact for more information?

Mechanical shop, ext. 35544""",
        NO,
    ),
    (
        "page",
        "2024-02-05",
        "Campus-wide Power Shutdown (except CPH)",
        f"""{S}

Campus-wide Power Shutdown (except CPH)

Where is this happening?

All main campus buildings except Carl A. Pollock Hall

What is happening?

Campus-wide power shutdown for utility work. CPH is on the new feeder and will not be affected.

When is this happening?

Sunday, February 18, 2024, 6:00 a.m. to 10:00 a.m.

How does this affect the UW community?

Buildings other than CPH will be without normal power.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "email",
        "2023-08-01",
        "Cooling Shutdown - CPH server room Liebert units",
        """Cooling Shutdown - CPH server room Liebert units

Service Interruption Notice

Where is this happening?

CPH, 3rd floor server room

What is happening?

The Liebert cooling units will be shut off for coil cleaning.

When is this happening?

Wednesday, August 9, 2023, 7:00 a.m. to 9:00 a.m.

How does this affect the UW community?

Server room cooling will be reduced. Electrical power will remain on.

Who to contact for more information?

HVAC shop, ext. 34444

View this notice online: https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID=9133""",
        NO,
    ),
    (
        "page",
        "2025-05-20",
        "Electrical Shutdown - DWE - May 31",
        f"""{S}

Electrical Shutdown - DWE - May 31

Where is this happening?

Douglas Wright Engineering

What is happening?

Electrical shutdown for breaker replacement in DWE. The bridge to CPH remains open.

When is this happening?

Saturday, May 31 from 7:00 a.m. to 1:00 p.m.

How does this affect the UW community?

Normal power will be off in DWE only.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "page",
        "2021-03-01",
        "Steam Shutdown - Campus-wide",
        f"""{S}

Steam Shutdown - Campus-wide

Where is this happening?

All buildings on main campus

What is happening?

Campus-wide steam shutdown for the central plant boiler inspection.

When is this happening?

Saturday, March 13, 2021, 6 a.m. to 6 p.m.

How does this affect the UW community?

No heating or hot water; there is no interruption to electrical power.

Who to contact for more information?

Central Plant, ext. 36666""",
        NO,
    ),
    (
        "page",
        "2024-06-03",
        "Parking Lot Closure - Lot B near CPH",
        f"""{S}

Parking Lot Closure - Lot B near CPH

Where is this happening?

Parking lot B, next to Carl A. Pollock Hall

What is happening?

Lot B will be closed for line painting.

When is this happening?

June 8, 2024, 6:00 a.m. to 6:00 p.m.

How does this affect the UW community?

Vehicles left in the lot will be towed.

Who to contact for more information?

Parking Services, ext. 33100""",
        NO,
    ),
    (
        "homepage",
        "2016-08-10",
        "Gas Shutdown - CPH - Aug 13",
        """Aug. 10, 2016Gas Shutdown - CPH - Aug 13

What is happening? Natural gas will be turned off in CPH to relocate a gas line.

When is this happening? Saturday August 13 from 8:00 a.m. until 2:00 p.m.

Questions or concerns? Contact the mechanical shop at ext. 35544.""",
        NO,
    ),
    (
        "page",
        "2025-08-04",
        "Compressed Air and DI Water - CPH",
        f"""{S}

Compressed Air and DI Water - CPH

Where is this happening?

CPH labs

What is happening?

Compressed air and de-ionized water will be unavailable for filter changes.

When is this happening?

Thursday, August 14, 2025, 9:00 a.m. to 11:00 a.m.

How does this affect the UW community?

Lab equipment using these services must be turned off. Power is unaffected.

Who to contact for more information?

Mechanical shop, ext. 35544""",
        NO,
    ),
    (
        "page",
        "2023-09-05",
        "Custodial - CPH - Compactor",
        f"""{S}

Custodial - CPH - Compactor

Where is this happening?

CPH loading dock

What is happening?

The compactor is inoperative; limited custodial services in effect.

When is this happening?

September 5 to September 8, 2023

How does this affect the UW community?

Please hold recycling until the compactor is repaired.

Who to contact for more information?

Custodial Services, ext. 32777""",
        NO,
    ),
    (
        "email",
        "2025-10-01",
        "Building Access - CPH north doors",
        """Building Access - CPH north doors

Service Interruption Notice

Where is this happening?

Carl A. Pollock Hall, north doors

What is happening?

The north doors will be locked for card reader replacement.

When is this happening?

October 6, 2025, 7:00 a.m. to 3:00 p.m.

How does this affect the UW community?

Use the east entrance.

Who to contact for more information?

Key Control, ext. 33333""",
        NO,
    ),
]

# A second batch, written after the first measurement (same policy, split by the same hash).
NOTICES += [
    (
        "page",
        "2025-09-22",
        "Electrical Shutdown - CPH - October 4",
        f"""{S}

Electrical Shutdown - CPH - October 4

Where is this happening?

Carl A. Pollock Hall

What is happening?

Electrical shutdown to replace the fire pump controller feed.

When is this happening?

From 7:00 a.m. Saturday, October 4 until approximately 3:00 p.m.

How does this affect the UW community?

Normal power will be off throughout the building.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2025-10-04T07:00", "2025-10-04T15:00")),
    ),
    (
        "email",
        "2025-07-02",
        "Power Outage - Carl A. Pollock Hall",
        """Power Outage - Carl A. Pollock Hall

Service Interruption Notice

Where is this happening?

Carl A. Pollock Hall

What is happening?

Power outage required to install a new transfer switch.

When is this happening?

Between the hours of 6:00am and 10:00am on Sunday, July 13th

How does this affect the UW community?

The building will be without power. Shut down research equipment beforehand.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2025-07-13T06:00", "2025-07-13T10:00")),
    ),
    (
        "page",
        "2025-12-08",
        "Electrical Shutdown (overnight) - CPH",
        f"""{S}

Electrical Shutdown (overnight) - CPH

Where is this happening?

CPH

What is happening?

Overnight electrical shutdown for the switchboard retrofit.

When is this happening?

Monday, December 22 at 10:00 p.m. to Tuesday, December 23 at 4:00 a.m.

How does this affect the UW community?

There will be no power in CPH overnight.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2025-12-22T22:00", "2025-12-23T04:00")),
    ),
    (
        "page",
        "2025-04-20",
        "Power Shutdown - CPH",
        f"""{S}

Power Shutdown - CPH

Where is this happening?

Carl Pollock Hall

What is happening?

Power shutdown for the annual breaker maintenance.

When is this happening?

Date: Sunday, May 4, 2025

Time: 6:00 a.m. – 12:00 p.m.

How does this affect the UW community?

Normal power off; elevators out of service.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2025-05-04T06:00", "2025-05-04T12:00")),
    ),
    (
        "homepage",
        "2019-03-25",
        "Electrical Shutdown - CPH - April 6",
        """Mar. 25, 2019Electrical Shutdown - CPH - April 6

What is happening? Electrical power to Carl A. Pollock Hall will be shut off for about 2 hours, beginning at 6 a.m. on Saturday, April 6.

When is this happening? Saturday April 6, beginning at 6 a.m.

Questions or concerns? Contact the Service Desk at ext. 33793.""",
        rel(("2019-04-06T06:00", "2019-04-06T08:00")),
    ),
    (
        "page",
        "2026-02-20",
        "Electrical Shutdown - CPH - March 7 to 8",
        f"""{S}

Electrical Shutdown - CPH - March 7 to 8

Where is this happening?

CPH

What is happening?

Electrical shutdown to connect the new service entrance.

When is this happening?

Saturday, March 7, 2026 at 11 p.m. to Sunday, March 8 at 7 a.m.

How does this affect the UW community?

Normal power will be off overnight.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2026-03-07T23:00", "2026-03-08T07:00")),
    ),
    (
        "page",
        "2024-11-12",
        "Electrical Shutdown - CPH Room 2377 lab circuits",
        f"""{S}

Electrical Shutdown - CPH Room 2377 lab circuits

Where is this happening?

Carl A. Pollock Hall, room 2377

What is happening?

Power to the lab bench circuits in room 2377 will be shut off to add a new panel.

When is this happening?

Wednesday, November 20, 8:00 a.m. to 10:00 a.m.

How does this affect the UW community?

Only the circuits in room 2377 are affected.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2024-11-20T08:00", "2024-11-20T10:00")),
    ),
    (
        "email",
        "2024-05-27",
        "UPDATE - Power Interruption - CPH - new time",
        """UPDATE - Power Interruption - CPH - new time

Service Interruption Notice

Where is this happening?

Carl A. Pollock Hall

What is happening?

Power interruption for utility metering work. The start time has changed: the work now begins at 9:00 a.m. instead of 7:00 a.m.

When is this happening?

Saturday, June 1, 2024, 9:00 a.m. to 11:00 a.m.

How does this affect the UW community?

The building will be without normal power for two hours.

Who to contact for more information?

Electrical shop, ext. 32020""",
        rel(("2024-06-01T09:00", "2024-06-01T11:00")),
    ),
    # Negatives
    (
        "page",
        "2025-06-16",
        "Electrical Work - CPH - no shutdown",
        f"""{S}

Electrical Work - CPH - no shutdown

Where is this happening?

CPH, mechanical room

What is happening?

Electrical contractors will pull new cable in the mechanical room.

When is this happening?

June 23 to June 27, 2025

How does this affect the UW community?

There will be no disruption to building services.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "page",
        "2025-01-13",
        "Power Outage - Engineering 7",
        f"""{S}

Power Outage - Engineering 7

Where is this happening?

E7

What is happening?

Power outage in E7 for a transformer swap.

When is this happening?

Saturday, January 25, 2025, 7 a.m. to 1 p.m.

How does this affect the UW community?

E7 will be closed. Occupants of CPH may notice a brief flicker of the corridor lights when E7 is re-energized.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "email",
        "2024-08-05",
        "Chilled Water Shutdown - CPH and E2",
        """Chilled Water Shutdown - CPH and E2

Service Interruption Notice

Where is this happening?

Carl A. Pollock Hall and Engineering 2

What is happening?

Chilled water will be shut off to replace an isolation valve. Electrical power, steam and domestic water are not affected.

When is this happening?

Saturday, August 10, 2024, 6:00 a.m. to 2:00 p.m.

How does this affect the UW community?

Equipment cooled by chilled water must be shut down.

Who to contact for more information?

Mechanical shop, ext. 35544""",
        NO,
    ),
    (
        "page",
        "2023-02-06",
        "Sprinkler System Repair - CPH",
        f"""{S}

Sprinkler System Repair - CPH

Where is this happening?

CPH, 2nd floor

What is happening?

The sprinkler system on the 2nd floor will be drained and repaired.

When is this happening?

February 13, 2023, 8 a.m. to 4 p.m.

How does this affect the UW community?

A fire watch will be in place. No other services are affected.

Who to contact for more information?

Fire Systems, ext. 32222""",
        NO,
    ),
    (
        "homepage",
        "2018-09-04",
        "Electrical Shutdown - Physics - Sept 15",
        """Sep. 4, 2018Electrical Shutdown - Physics - Sept 15

What is happening? Electrical power will be shut off in Physics. The tunnel to CPH will remain open.

When is this happening? Saturday September 15 from 7:00 a.m. to 12:00 p.m.

Questions or concerns? Contact the Service Desk at ext. 33793.""",
        NO,
    ),
    (
        "page",
        "2025-10-27",
        "Emergency Power Maintenance - CPH",
        f"""{S}

Emergency Power Maintenance - CPH

Where is this happening?

Carl A. Pollock Hall

What is happening?

The emergency generator and its transfer switch will be serviced. Emergency power will be unavailable.

When is this happening?

Tuesday, November 4, 2025, 8:00 a.m. to 12:00 p.m.

How does this affect the UW community?

Normal power is not affected. Exit signs will run on batteries.

Who to contact for more information?

Electrical shop, ext. 32020""",
        NO,
    ),
    (
        "page",
        "2024-04-02",
        "Walkway Closure - CPH to E2 link",
        f"""{S}

Walkway Closure - CPH to E2 link

Where is this happening?

The link between CPH and E2

What is happening?

The link will be closed for floor refinishing.

When is this happening?

April 8 to April 12, 2024

How does this affect the UW community?

Use the outdoor path between the buildings.

Who to contact for more information?

Building services, ext. 31000""",
        NO,
    ),
    (
        "email",
        "2025-03-10",
        "Power Restored - Campus",
        """Power Restored - Campus

Service Interruption Notice

Where is this happening?

Main campus

What is happening?

Power has been restored to all campus buildings after this morning's utility outage.

When is this happening?

March 10, 2025

How does this affect the UW community?

Please report any equipment that did not restart.

Who to contact for more information?

Plant Operations, ext. 33793""",
        NO,
    ),
]
