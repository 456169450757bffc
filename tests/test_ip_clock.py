"""Statutory clock and pendency statistics, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.services.ip import clock as ip_clock
from tests.factories import login, make_user
from tests.ip_helpers import TABLE, add_event, derive, ev, make_record

AS_OF = date(2026, 1, 1)
PATENT_RULES = TABLE.for_record("invention_patent", "VN")

# The fixture set: (type, filed, events). Expected figures below are computed by hand.
FIXTURES: list[tuple[str, date, list[tuple[str, date]]]] = [
    # R1: every stage on time, granted 2024-05-10: 486 days, not overdue.
    (
        "invention_patent",
        date(2023, 1, 10),
        [
            ("D11", date(2023, 2, 1)),
            ("D10", date(2023, 3, 1)),
            ("Q10", date(2023, 8, 10)),
            ("F10", date(2024, 5, 10)),
        ],
    ),
    # R2: accepted 2023-05-15, after the 2023-04-01 formality deadline: pending, overdue.
    ("invention_patent", date(2023, 3, 1), [("D11", date(2023, 5, 15))]),
    # R3: nothing after filing; formality due 2023-07-15 never met: pending, overdue.
    ("invention_patent", date(2023, 6, 15), []),
    # R4: refused 2025-02-01, after the 2024-11-01 substantive deadline: 519 days, overdue.
    (
        "invention_patent",
        date(2023, 9, 1),
        [
            ("D11", date(2023, 9, 20)),
            ("D10", date(2023, 9, 25)),
            ("Q10", date(2023, 11, 1)),
            ("N11", date(2025, 2, 1)),
        ],
    ),
    # R5: not published by 2025-06-20 (19 months): pending, overdue.
    ("invention_patent", date(2023, 11, 20), [("D11", date(2023, 12, 5))]),
    # R6: published on time, examination due 2026-08-01: pending, not overdue.
    (
        "invention_patent",
        date(2023, 12, 1),
        [("D11", date(2023, 12, 20)), ("Q10", date(2025, 6, 15)), ("D10", date(2025, 8, 1))],
    ),
    # R7: another group; not published by 2025-09-10: pending, overdue.
    ("utility_solution", date(2024, 2, 10), [("D11", date(2024, 3, 1))]),
]

# Pendency in days, by hand: R1 365+121, R2 366+365+306, R3 731+200, R4 366+153, R5 731+42,
# R6 731+31, R7 366+325.
EXPECTED_PATENTS_2023 = {
    "applications": 6,
    "pending": 4,  # R2, R3, R5, R6
    "median_days": 767.5,  # sorted 486, 519, 762, 773, 931, 1037: (762 + 773) / 2
    "p90_days": 1037,  # nearest rank: ceil(0.9 * 6) = 6th value
    "overdue": 4,  # R2, R3, R4, R5
    "share_overdue": 0.6667,
}


def _clock(index: int) -> ip_clock.Clock:
    ip_type, filed, events = FIXTURES[index]
    derived = derive(ip_type, filed=filed, events=[ev(k, d) for k, d in events], today=AS_OF)
    found = ip_clock.clock(derived, TABLE.for_record(ip_type, "VN"), today=AS_OF)
    assert found is not None
    return found


def test_clock_on_time_application_shows_every_stage_done_within_its_limit() -> None:
    clock = _clock(0)
    assert [(s.rule, s.status, s.overdue) for s in clock.stages] == [
        ("formality_examination", "done", False),
        ("publication", "done", False),
        ("substantive_examination", "done", False),
    ]
    assert (clock.pending, clock.decided_on, clock.elapsed_days) == (False, date(2024, 5, 10), 486)
    assert clock.overdue is False


def test_clock_flags_a_pending_application_beyond_its_statutory_time() -> None:
    clock = _clock(2)
    formality = clock.stages[0]
    assert (formality.status, formality.statutory_days, formality.elapsed_days) == (
        "running",
        30,
        931,
    )
    assert formality.overdue and clock.overdue and clock.pending


def test_clock_waits_while_the_applicant_has_not_requested_examination() -> None:
    clock = _clock(4)
    substantive = clock.stages[2]
    assert (substantive.status, substantive.elapsed_days) == ("waiting", None)
    assert clock.statutory_days is None


def test_clock_stops_at_a_refusal_that_came_late() -> None:
    clock = _clock(3)
    substantive = clock.stages[2]
    assert (substantive.status, substantive.due_date, substantive.elapsed_days) == (
        "done",
        date(2024, 11, 1),
        458,
    )
    assert substantive.overdue and clock.elapsed_days == 519


def test_percentile_is_nearest_rank() -> None:
    assert ip_clock.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 90
    assert ip_clock.percentile([5], 0.9) == 5
    assert ip_clock.percentile([3, 1, 2], 0.5) == 2


def test_aggregate_matches_the_hand_computation() -> None:
    samples = []
    for index, (ip_type, filed, _) in enumerate(FIXTURES):
        clock = _clock(index)
        samples.append(
            ip_clock.Sample(
                ip_type, "VN", filed.year, clock.elapsed_days, clock.overdue, clock.pending
            )
        )
    groups = {(g.ip_type, g.year): g for g in ip_clock.aggregate(samples)}
    patents = groups[("invention_patent", 2023)]
    assert {k: getattr(patents, k) for k in EXPECTED_PATENTS_2023} == EXPECTED_PATENTS_2023
    utility = groups[("utility_solution", 2024)]
    assert (utility.applications, utility.median_days, utility.p90_days) == (1, 691.0, 691)
    assert utility.share_overdue == 1.0


async def _fixture_set(session: AsyncSession, ctx: AppContext) -> None:
    owner = await make_user(session, ctx)
    for ip_type, filed, events in FIXTURES:
        record = await make_record(session, owner, ip_type=ip_type, filed=filed)
        for key, day in events:
            await add_event(session, record, key, day, today=AS_OF)


async def test_ip_stats_endpoint_matches_the_hand_computation(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    await _fixture_set(session, ctx)
    _, headers = await login(client, session, ctx, roles=["fund"])
    response = await client.get(
        "/api/v1/ip-stats", params={"as_of": AS_OF.isoformat(), "office": "VN"}, headers=headers
    )
    assert response.status_code == 200, response.text
    groups: dict[tuple[str, int], dict[str, Any]] = {
        (g["ip_type"], g["year"]): g for g in response.json()["groups"]
    }
    patents = groups[("invention_patent", 2023)]
    assert {k: patents[k] for k in EXPECTED_PATENTS_2023} == EXPECTED_PATENTS_2023
    assert groups[("utility_solution", 2024)]["median_days"] == 691.0


async def test_ip_stats_filters_by_type_and_year(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    await _fixture_set(session, ctx)
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.get(
        "/api/v1/ip-stats",
        params={"as_of": AS_OF.isoformat(), "ip_type": "utility_solution", "year": 2024},
        headers=headers,
    )
    assert [(g["ip_type"], g["applications"]) for g in response.json()["groups"]] == [
        ("utility_solution", 1)
    ]


async def test_ip_stats_need_a_signed_in_user(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/ip-stats")).status_code == 401


async def test_clock_endpoint_flags_an_overdue_office(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    record = await make_record(session, owner, filed=date(2023, 6, 15))
    response = await client.get(
        f"/api/v1/ip-records/{record.id}/clock", params={"as_of": "2026-01-01"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["pending"], body["overdue"], body["elapsed_days"]) == (True, True, 931)
    assert body["stages"][0]["rule"] == "formality_examination"
    assert body["stages"][0]["overdue"] is True
