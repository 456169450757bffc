"""Operations reports: every figure of a fixture month equals a direct count of the database,
and CSV, HTML and XLSX carry the same figures as the JSON."""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import (
    Deal,
    DealMove,
    Exchange,
    Initiative,
    InitiativeVersion,
    IpRecord,
    Listing,
    Transition,
)
from app.models.deal import FUNNEL
from tests import initiative_helpers as ini
from tests import report_helpers as fixture
from tests.factories import login
from tests.test_deals_funnel import _funnel_of_five

URL = "/api/v1/reports/operations"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def _report(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(URL, params={"period": fixture.PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def _section(report: dict[str, Any], section_id: str) -> dict[str, dict[str, Any]]:
    """key -> {"current": {...}, "previous": {...}} of one section."""
    section = next(s for s in report["sections"] if s["id"] == section_id)
    return {row["key"]: row for row in section["rows"]}


def _figures(report: dict[str, Any]) -> dict[tuple[str, str, str], tuple[Any, Any]]:
    out = {}
    for section in report["sections"]:
        for row in section["rows"]:
            for m in section["measures"]:
                before = row["previous"][m] if row["previous"] is not None else None
                out[(section["id"], row["key"], m)] = (row["current"][m], before)
    return out


def _bounds(report: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(report["start"]), datetime.fromisoformat(report["end"])


@pytest.fixture
async def seeded(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> Any:
    data = await fixture.seed(client, session, ctx)
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await _report(client, headers)
    previous = await _report(client, headers, period=fixture.PREVIOUS)
    return {**data, "headers": headers, "report": response.json(), "previous": previous.json()}


async def test_stage_counts_equal_distinct_initiatives_entering_each_stage(
    seeded: Any, session: AsyncSession
) -> None:
    report, before = seeded["report"], seeded["previous"]
    rows = (
        await session.execute(
            select(Transition.initiative_id, Transition.to_state, Transition.at, Initiative).join(
                Initiative, Initiative.id == Transition.initiative_id
            )
        )
    ).all()

    def count(period: dict[str, Any], stage: str, attr: str | None, key: str) -> int:
        start, end = _bounds(period)
        return len(
            {
                r[0]
                for r in rows
                if r[1] == stage
                and start <= r[2] < end
                and (attr is None or (getattr(r[3], attr) or "unknown") == key)
            }
        )

    sections = {
        "initiatives": None,
        "initiatives_by_strategic_group": "strategic_group",
        "initiatives_by_province": "province",
        "initiatives_by_class": "initiative_class",
        "initiatives_by_st_field": "st_field",
    }
    checked = 0
    for section_id, attr in sections.items():
        for key, row in _section(report, section_id).items():
            for stage, value in row["current"].items():
                assert value == count(report, stage, attr, key), (section_id, key, stage)
                assert row["previous"][stage] == count(before, stage, attr, key)
                checked += 1
    assert checked > 50
    total = _section(report, "initiatives")["all"]["current"]
    # April in Viet Nam (UTC+7): two received, one screened, two reviewed, one selected, one
    # published; 30 March 20:00 UTC is already 31 March there, so it stays in March.
    assert (total["submitted"], total["screening"], total["under_review"]) == (2, 1, 2)
    assert (total["selected"], total["published"]) == (1, 1)
    assert _section(report, "initiatives_by_strategic_group")["ai"]["current"]["published"] == 1


async def test_submissions_per_day_count_local_days(seeded: Any, session: AsyncSession) -> None:
    report = seeded["report"]
    days = _section(report, "submissions_by_day")
    assert len(days) == 30
    start, end = _bounds(report)
    stamps = (
        await session.scalars(select(Transition.at).where(Transition.to_state == "submitted"))
    ).all()
    expected: dict[str, int] = {}
    for at in stamps:
        if start <= at < end:
            key = f"{at.astimezone(start.tzinfo).day:02d}"
            expected[key] = expected.get(key, 0) + 1
    assert {k: r["current"]["submitted"] for k, r in days.items() if r["current"]["submitted"]} == (
        expected
    )
    # 2030-04-29 18:00 UTC is 30 April in Viet Nam.
    assert days["30"]["current"]["submitted"] == 1


async def test_stage_times_follow_the_transitions(seeded: Any, session: AsyncSession) -> None:
    report = seeded["report"]
    start, end = _bounds(report)
    steps = (
        await session.execute(
            select(Transition.initiative_id, Transition.seq, Transition.to_state, Transition.at)
        )
    ).all()
    by_initiative: dict[Any, list[Any]] = {}
    for row in sorted(steps, key=lambda r: (str(r[0]), r[1])):
        by_initiative.setdefault(row[0], []).append(row)
    durations: dict[str, list[float]] = {}
    open_at_end: dict[str, int] = {}
    for items in by_initiative.values():
        items = [r for r in items if r[3] < end]
        for n, row in enumerate(items):
            if n + 1 < len(items):
                left = items[n + 1][3]
                if start <= left < end:
                    days = (left - row[3]).total_seconds() / 86400
                    durations.setdefault(row[2], []).append(days)
            else:
                open_at_end[row[2]] = open_at_end.get(row[2], 0) + 1
    for stage, row in _section(report, "stage_times").items():
        done = durations.get(stage, [])
        assert row["current"]["completed"] == len(done), stage
        assert row["current"]["open_at_end"] == open_at_end.get(stage, 0), stage
        median = round(statistics.median(done), 2) if done else None
        assert row["current"]["median_days"] == median, stage
    # Six-day-five-hour steps: every screening left in April took 6.21 days, within 10.
    screening = _section(report, "stage_times")["screening"]["current"]
    assert screening["median_days"] == 6.21 and screening["overdue"] == 0


async def test_ip_listing_and_sync_figures_equal_direct_counts(
    seeded: Any, session: AsyncSession
) -> None:
    report = seeded["report"]
    start, end = _bounds(report)
    first, last = date(2030, 4, 1), date(2030, 4, 30)
    records = (await session.scalars(select(IpRecord))).all()
    ip = _section(report, "ip_by_type")
    for ip_type, row in ip.items():
        mine = [r for r in records if r.ip_type == ip_type and r.created_at < end]
        assert row["current"]["records"] == len(mine)
        assert row["current"]["filed"] == sum(
            1 for r in mine if r.filing_date and first <= r.filing_date <= last
        )
        assert row["current"]["granted"] == sum(
            1 for r in mine if r.grant_date and first <= r.grant_date <= last
        )
    assert ip["industrial_design"]["current"]["granted"] == 1
    assert ip["utility_solution"]["current"]["filed"] == 1
    assert ip["utility_solution"]["previous"]["records"] == 1  # entered in March, filed in April
    statuses = _section(report, "ip_by_status")
    assert sum(r["current"]["records"] for r in statuses.values()) == sum(
        1 for r in records if r.created_at < end
    )
    listings = (await session.scalars(select(Listing))).all()
    for key, row in _section(report, "listings_by_exchange").items():
        mine = [x for x in listings if x.origin_exchange == key and x.created_at < end]
        assert row["current"]["held"] == len(mine)
        assert row["current"]["new"] == sum(1 for x in mine if x.created_at >= start)
    kinds = _section(report, "listings_by_kind")
    assert kinds["request"]["current"] == {"new": 1, "held": 1}
    exchanges = {e.code: e for e in (await session.scalars(select(Exchange))).all()}
    sync = _section(report, "sync_health")
    for code, row in sync.items():
        assert row["current"]["lag_seconds"] == exchanges[code].lag_seconds
        assert row["current"]["applied"] == exchanges[code].applied
        assert row["previous"] is None
    assert sync["HN"]["current"]["rejected"] == 2


async def test_funnel_sections_keep_their_structure_without_deals(seeded: Any) -> None:
    sections = {s["id"]: s for s in seeded["report"]["sections"]}
    funnel = sections["deal_funnel"]
    assert funnel["measures"] == ["reached", "at_stage", "conversion"]
    assert [r["key"] for r in funnel["rows"]] == [*FUNNEL, "declined"]
    assert all(r["current"]["reached"] == 0 for r in funnel["rows"])
    assert sections["decline_reasons"]["rows"] == []


async def test_deal_funnel_equals_direct_counts_of_the_periods_deals(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    await _funnel_of_five(client, session, ctx)
    opened = datetime(2030, 4, 10, tzinfo=UTC)
    await session.execute(update(Deal).values(created_at=opened))
    await session.execute(update(DealMove).values(at=opened + timedelta(hours=1)))
    await session.commit()
    _, headers = await login(client, session, ctx, roles=["admin"])
    report = (await _report(client, headers)).json()
    funnel = _section(report, "deal_funnel")
    for stage in FUNNEL:
        direct = await session.scalar(
            select(func.count(func.distinct(DealMove.deal_id))).where(DealMove.to_stage == stage)
        )
        assert funnel[stage]["current"]["reached"] == direct, stage
        assert funnel[stage]["previous"]["reached"] == 0
    assert funnel["interest"]["current"]["reached"] == 5
    assert funnel["declined"]["current"]["reached"] == 2
    assert funnel["interest"]["current"]["conversion"] == 0.6
    reasons = _section(report, "decline_reasons")
    assert {k: r["current"]["declined"] for k, r in reasons.items()} == {
        "too_early_stage": 1,
        "other": 1,
    }


async def test_previous_period_figures_are_that_periods_report(seeded: Any) -> None:
    now, before = _figures(seeded["report"]), _figures(seeded["previous"])
    compared = 0
    for (section, key, measure), (_, previous) in now.items():
        if previous is None or section == "submissions_by_day":
            continue
        assert previous == before.get((section, key, measure), (0, 0))[0], (section, key, measure)
        compared += 1
    assert compared > 50


async def test_csv_carries_the_json_figures(seeded: Any, client: httpx.AsyncClient) -> None:
    response = await _report(client, seeded["headers"], format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    parsed = {(r["section"], r["key"], r["measure"]): (r["current"], r["previous"]) for r in rows}
    expected = _figures(seeded["report"])
    assert set(parsed) == set(expected)
    for key, (now, before) in expected.items():
        assert parsed[key] == (_text(now), _text(before)), key


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def test_xlsx_carries_the_json_figures(seeded: Any, client: httpx.AsyncClient) -> None:
    response = await _report(client, seeded["headers"], format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book["figures"]
    lines = list(sheet.iter_rows(values_only=True))
    header = list(lines[0])
    parsed = {
        (r[0], r[2], r[5]): (r[header.index("current")], r[header.index("previous")])
        for r in lines[1:]
    }
    assert parsed == _figures(seeded["report"])
    stages = book["01 initiatives"]
    head, total = list(stages.iter_rows(values_only=True))[:2]
    assert total[head.index("published")] == 1


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.section = self.key = ""
        self.found: dict[tuple[str, str, str], list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-section"):
            self.section = a["data-section"] or ""
        elif tag == "tr" and "data-key" in a:
            self.key = a["data-key"] or ""
        elif tag == "td" and a.get("data-measure"):
            slot = self.found.setdefault(
                (self.section, self.key, a["data-measure"] or ""), ["", ""]
            )
            if "data-value" in a:
                slot[0] = a["data-value"] or ""
            if "data-previous" in a:
                slot[1] = a["data-previous"] or ""


async def test_html_carries_the_json_figures_and_draws_the_charts(
    seeded: Any, client: httpx.AsyncClient
) -> None:
    response = await _report(client, seeded["headers"], format="html", lang="en")
    assert response.headers["content-type"].startswith("text/html")
    parser = _Cells()
    parser.feed(response.text)
    expected = _figures(seeded["report"])
    assert set(parser.found) == set(expected)
    for key, (now, before) in expected.items():
        assert parser.found[key] == [_text(now), _text(before)], key
    for chart in ("submissions_per_day", "stage_funnel", "ip_pendency", "listings_per_exchange"):
        assert f'id="chart-{chart}"><svg' in response.text
    assert "Operations report" in response.text and "http" not in response.text.split("<svg")[0]


async def test_a_quarter_covers_three_months(seeded: Any, client: httpx.AsyncClient) -> None:
    quarter = (await _report(client, seeded["headers"], period="2030-Q2")).json()
    assert quarter["previous_period"] == "2030-Q1"
    assert len(_section(quarter, "submissions_by_day")) == 91
    assert _section(quarter, "initiatives")["all"]["current"]["submitted"] == 2


@pytest.mark.parametrize("period", ["2030-13", "2030-Q5", "April", "2030-4"])
async def test_a_malformed_period_is_422(
    period: str, client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    response = await client.get(URL, params={"period": period}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_anonymous_gets_401_and_non_operators_403(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    assert (await client.get(URL, params={"period": "2030-04"})).status_code == 401
    for role in ("scientist", "reviewer", "fund", "enterprise"):
        _, headers = await login(client, session, ctx, roles=[role])
        response = await client.get(URL, params={"period": "2030-04"}, headers=headers)
        assert response.status_code == 403, role


async def test_a_reclassified_initiative_keeps_its_past_moves_under_the_old_classification(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await ini.actors(client, session, ctx)
    created = await ini.create(client, who.owner_headers, strategic_group="ai")
    await ini.advance(client, created["id"], "screening", who)
    returned = await ini.step(client, created["id"], "returned", who.admin_headers, "Thiếu số liệu")
    assert returned.status_code == 201
    patched = await client.patch(
        f"{ini.API}/{created['id']}",
        json={"strategic_group": "robotics"},
        headers={**who.owner_headers, "If-Match": "*"},
    )
    assert patched.status_code == 200, patched.text
    assert (await ini.step(client, created["id"], "submit", who.owner_headers)).status_code == 201
    initiative_id = uuid.UUID(created["id"])
    days = [(3, 28), (3, 30), (4, 5), (4, 10), (5, 3)]  # draft, submit, screen, return, resubmit
    steps = (
        await session.scalars(
            select(Transition)
            .where(Transition.initiative_id == initiative_id)
            .order_by(Transition.seq)
        )
    ).all()
    for step, (month, day) in zip(steps, days, strict=True):
        step.at = datetime(2030, month, day, 3, tzinfo=UTC)
    versions = (
        await session.scalars(
            select(InitiativeVersion)
            .where(InitiativeVersion.initiative_id == initiative_id)
            .order_by(InitiativeVersion.number)
        )
    ).all()
    versions[0].created_at = datetime(2030, 3, 30, 3, tzinfo=UTC)
    versions[1].created_at = datetime(2030, 5, 3, 3, tzinfo=UTC)
    await session.commit()
    _, headers = await login(client, session, ctx, roles=["admin"])
    april = (await _report(client, headers)).json()
    groups = _section(april, "initiatives_by_strategic_group")
    assert groups["ai"]["current"]["screening"] == groups["ai"]["current"]["returned"] == 1
    assert groups["ai"]["previous"]["submitted"] == 1
    assert "robotics" not in groups
    may = (await _report(client, headers, period="2030-05")).json()
    assert _section(may, "initiatives_by_strategic_group")["robotics"]["current"]["submitted"] == 1
