"""Helpers for the IP-record tests: records, events and fixed dates."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.models import IpRecord, User
from app.schemas.ip_record import IpEventCreate, IpRecordCreate
from app.services.ip import events as ip_events
from app.services.ip import records as ip_records
from app.services.ip import rules, status
from app.services.ip.domain import Derived, EventFacts, RecordFacts
from app.services.ip.records import Actor, AsOf

_seq = itertools.count(1)
TABLE = rules.load()
WINDOW = 7


def number(prefix: str = "1") -> str:
    """A fresh application number, so tests never collide on (office, number)."""
    return f"{prefix}-T{next(_seq):04d}-{uuid.uuid4().hex[:8].upper()}"


def ev(key_event: str, day: date, **kw: Any) -> EventFacts:
    return EventFacts(category=key_event[0], key_event=key_event, event_date=day, **kw)


def derive(
    ip_type: str = "invention_patent",
    *,
    filed: date | None,
    events: Sequence[EventFacts] = (),
    today: date,
    office: str = "VN",
    **facts: Any,
) -> Derived:
    record = RecordFacts(ip_type=ip_type, office=office, filing_date=filed, **facts)
    return status.derive(record, list(events), TABLE, today=today, due_window_days=WINDOW)


def due_dates(derived: Derived) -> dict[str, date]:
    return {d.key: d.due_date for d in derived.deadlines}


def when(day: date | None = None) -> AsOf:
    return ip_records.as_of(get_settings(), day)


async def make_record(
    session: AsyncSession,
    owner: User,
    *,
    ip_type: str = "invention_patent",
    office: str = "VN",
    filed: date | None = date(2024, 3, 15),
    today: date = date(2024, 3, 20),
    **fields: Any,
) -> IpRecord:
    data = IpRecordCreate(
        ip_type=ip_type,
        office=office,
        title=fields.pop("title", "Phương pháp thử nghiệm"),
        application_number=fields.pop("application_number", number()),
        filing_date=filed,
        **fields,
    )
    record = await ip_records.create(session, data, actor=Actor(owner.id), when=when(today))
    await session.commit()
    return record


async def add_event(
    session: AsyncSession,
    record: IpRecord,
    key_event: str,
    day: date,
    *,
    today: date | None = None,
    **fields: Any,
) -> None:
    data = IpEventCreate.model_validate(
        {"category": key_event[0], "key_event": key_event, "event_date": day, **fields}
    )
    await ip_events.add_event(
        session, record, data, by=None, source="test", when=when(today or day)
    )
    await session.commit()


async def create_via_api(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    payload = {
        "ip_type": "invention_patent",
        "office": "VN",
        "title": "Thiết bị đo độ mặn",
        "application_number": number(),
        "filing_date": "2024-03-15",
        **body,
    }
    response = await client.post("/api/v1/ip-records", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def post_event(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    record_id: str,
    key_event: str,
    day: str,
    **body: Any,
) -> httpx.Response:
    payload = {"category": key_event[0], "key_event": key_event, "event_date": day, **body}
    return await client.post(
        f"/api/v1/ip-records/{record_id}/events", json=payload, headers=headers
    )
