"""The iCalendar feed of deadlines, in-app alert notifications, and the demo records."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.demo import ip as demo_ip
from app.services.ip import alerts, ical
from app.services.ip import records as ip_records
from app.services.ip.domain import SUMMARY_STATUSES, add_months, local_today
from tests.factories import login, make_user
from tests.ip_helpers import create_via_api, when

TOKEN_URL = "/api/v1/ip-records/calendar-token"
FEED = "/api/v1/ip-records/deadlines.ics"


def _today() -> date:
    return local_today(7)


async def _feed(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, httpx.Response]:
    issued = await client.post(TOKEN_URL, headers=headers)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert issued.json()["url"].endswith(f"{FEED}?token={token}")
    return token, await client.get(FEED, params={"token": token})


async def test_calendar_feed_lists_open_deadlines_as_icalendar_events(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    filed = _today() - timedelta(days=5)
    await create_via_api(
        client, headers, filing_date=filed.isoformat(), title="Vật liệu " + "rất dài, có dấu; " * 8
    )
    _, response = await _feed(client, headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends with CRLF
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    text = raw.decode("utf-8").replace("\r\n ", "")  # unfold
    formality_due = add_months(filed, 1)
    assert f"DTSTART;VALUE=DATE:{formality_due:%Y%m%d}" in text
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") >= 2
    unfolded = text.split("\r\n")
    uids = [line for line in unfolded if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) == text.count("BEGIN:VEVENT")
    stamps = [line for line in unfolded if line.startswith("DTSTAMP:")]
    assert stamps and all(re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", line) for line in stamps)
    assert "rất dài\\, có dấu\\;" in text


async def test_unknown_or_rotated_calendar_token_is_404(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    old, _ = await _feed(client, headers)
    _, fresh = await _feed(client, headers)
    assert fresh.status_code == 200
    stale = await client.get(FEED, params={"token": old})
    assert stale.status_code == 404
    assert stale.json()["type"] == "/problems/ip-calendar-not-found"
    unknown = await client.get(FEED, params={"token": "x" * 43})
    assert unknown.status_code == 404


async def test_calendar_feed_shows_only_the_token_owners_records(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, alice = await login(client, session, ctx, roles=["scientist"])
    _, bob = await login(client, session, ctx, roles=["scientist"])
    filed = (_today() - timedelta(days=5)).isoformat()
    mine = await create_via_api(client, alice, filing_date=filed)
    theirs = await create_via_api(client, bob, filing_date=filed)
    _, response = await _feed(client, alice)
    text = response.text.replace("\r\n ", "")
    assert mine["id"] in text
    assert theirs["id"] not in text


def test_fold_keeps_lines_within_75_octets_without_splitting_a_character() -> None:
    line = "SUMMARY:" + "Đặng Thị Hoa – sáng chế " * 10
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_text_values_are_escaped() -> None:
    assert ical.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_render_uses_the_given_stamp_and_all_day_dates() -> None:
    text = ical.render([], now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert text == (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//TechX//IP deadlines 1.0//EN\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:TechX – Hạn sở hữu trí tuệ\r\n"
        "END:VCALENDAR\r\n"
    )


async def test_deadline_alert_reaches_the_owner_in_app_notifications(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers, filing_date="2024-03-15")
    payload = {
        "record_id": record["id"],
        "deadline": "formality_examination",
        "due_date": "2024-04-15",
        "offset_days": 7,
        "kind": alerts.DEADLINE,
        "today": "2024-04-09",
    }
    await alerts.fire(session, payload)
    await alerts.fire(session, payload)
    await session.commit()
    response = await client.get("/api/v1/notifications", headers=headers)
    items = response.json()["items"]
    assert [item["kind"] for item in items] == ["ip.deadline"]
    assert items[0]["data"]["record_id"] == record["id"]
    assert items[0]["data"]["due_date"] == "2024-04-15"
    assert "Formality examination" in items[0]["title"]["en"]


async def test_demo_records_cover_every_summary_status(
    session: AsyncSession, ctx: AppContext
) -> None:
    for email in (demo_ip.AN, demo_ip.BINH, demo_ip.HOA):
        await make_user(session, ctx, email=email)
    today = date(2026, 11, 24)
    assert await demo_ip.seed(session, today=today) == len(demo_ip.RECORDS)
    from sqlalchemy import select

    from app.models import IpRecord

    records = await ip_records.with_events(
        session, list((await session.scalars(select(IpRecord.id))).all())
    )
    statuses = {ip_records.derive(r, when(today)).summary for r in records}
    assert statuses == set(SUMMARY_STATUSES)
    assert {r.summary_status for r in records} == set(SUMMARY_STATUSES)
