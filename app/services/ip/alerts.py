"""Deadline alerts: a periodic scan queues one job per (deadline, offset); each raises its alert
once, as an in-app notification and a webhook delivery per subscription.

"Once" holds across restarts and any number of workers: the scan's jobs carry dedupe keys, the
alert ledger has a unique key, notifications are unique per (user, key) and deliveries per
(subscription, alert).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.config import Settings, get_settings
from app.models import IpAlert, IpRecord, Job
from app.models.base import utcnow
from app.models.job import DONE
from app.services.ip import records
from app.services.ip.domain import ENDED, Deadline
from app.services.ip.records import AsOf
from app.services.jobs import queue as jobs
from app.services.notifications import inbox as notifications
from app.services.notifications import webhooks

SCAN = "ip.alerts.scan"
FIRE = "ip.alerts.fire"
DEADLINE = "ip.deadline"
OFFICE_OVERDUE = "ip.office_overdue"
BATCH = 200
JOB_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class Due:
    """An alert the scan found: a deadline reached one of its offsets, or the office is late."""

    kind: str
    deadline: Deadline
    offset_days: int | None

    def key(self, record_id: uuid.UUID) -> str:
        marker = "overdue" if self.offset_days is None else f"{self.offset_days}d"
        return f"ip:{record_id}:{self.deadline.key}:{self.deadline.due_date}:{marker}"


def due_alerts(deadlines: Iterable[Deadline], offsets: Iterable[int], today: date) -> Iterator[Due]:
    """Alerts due today: the tightest offset a deadline is within, and late office actions."""
    ordered = sorted(set(offsets))
    for deadline in deadlines:
        if deadline.status == "met" or deadline.actor == "none":
            continue
        days_left = (deadline.due_date - today).days
        if days_left < 0:
            if deadline.actor == "office":
                yield Due(OFFICE_OVERDUE, deadline, None)
            continue
        reached = [offset for offset in ordered if days_left <= offset]
        if reached:
            yield Due(DEADLINE, deadline, reached[0])


async def schedule(session: AsyncSession, *, now: datetime, interval: int) -> None:
    """Queue one scan per interval, however many workers ask."""
    bucket = int(now.timestamp()) // max(1, interval)
    await jobs.enqueue(session, SCAN, {}, dedupe_key=f"{SCAN}:{bucket}")


@jobs.periodic(SCAN)
async def schedule_every_interval(session: AsyncSession, now: datetime, settings: Settings) -> None:
    await schedule(session, now=now, interval=settings.ip.alert_scan_interval_seconds)


def _when(payload: dict[str, Any]) -> AsOf:
    day = payload.get("today")
    return records.as_of(get_settings(), date.fromisoformat(day) if day else None)


async def _live_batch(session: AsyncSession, after: uuid.UUID | None) -> list[IpRecord]:
    stmt = (
        select(IpRecord)
        .where(IpRecord.summary_status.not_in(ENDED))
        .options(selectinload(IpRecord.events))
        .order_by(IpRecord.id)
        .limit(BATCH)
    )
    if after is not None:
        stmt = stmt.where(IpRecord.id > after)
    return list((await session.scalars(stmt)).all())


async def _purge_finished(session: AsyncSession) -> None:
    """Old finished alert jobs: the ledger, not the queue, is what keeps an alert single."""
    await session.execute(
        delete(Job).where(
            Job.kind.in_((SCAN, FIRE, webhooks.DELIVER)),
            Job.status == DONE,
            Job.finished_at < utcnow() - JOB_RETENTION,
        )
    )


@jobs.handler(SCAN)
async def scan(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Refresh time-dependent statuses and queue the alerts due today."""
    await _purge_finished(session)
    when = _when(payload)
    offsets = get_settings().ip.alert_offsets_days
    after: uuid.UUID | None = None
    while rows := await _live_batch(session, after):
        for record in rows:
            derived = await records.refresh(session, record, when=when)
            if derived.summary in ENDED:
                continue
            for due in due_alerts(derived.deadlines, offsets, when.today):
                fire = {
                    "record_id": str(record.id),
                    "deadline": due.deadline.key,
                    "due_date": due.deadline.due_date.isoformat(),
                    "offset_days": due.offset_days,
                    "kind": due.kind,
                    "today": when.today.isoformat(),
                }
                await jobs.enqueue(session, FIRE, fire, dedupe_key=f"{FIRE}:{due.key(record.id)}")
        after = rows[-1].id


def _title(due: Due, record: IpRecord) -> dict[str, str]:
    number = record.application_number or record.title[:80]
    label, day = due.deadline.label, due.deadline.due_date.isoformat()
    if due.offset_days is None:
        return {
            "vi": f"Cơ quan xử lý quá hạn: {label['vi']} – {number} (hạn {day})",
            "en": f"Office action overdue: {label['en']} – {number} (due {day})",
        }
    return {
        "vi": f"Sắp đến hạn ({due.offset_days} ngày): {label['vi']} – {number} ({day})",
        "en": f"Deadline within {due.offset_days} days: {label['en']} – {number} ({day})",
    }


def _data(due: Due, record: IpRecord, alert: IpAlert, today: date) -> dict[str, Any]:
    deadline = due.deadline
    return {
        "alert_id": str(alert.id),
        "record_id": str(record.id),
        "title": record.title,
        "office": record.office,
        "application_number": record.application_number,
        "deadline": deadline.key,
        "rule": deadline.rule,
        "label": deadline.label,
        "actor": deadline.actor,
        "due_date": deadline.due_date.isoformat(),
        "days_left": (deadline.due_date - today).days,
        "offset_days": due.offset_days,
        "legal_basis": deadline.legal_basis,
    }


async def _record(session: AsyncSession, record_id: str) -> IpRecord | None:
    record: IpRecord | None = await session.scalar(
        select(IpRecord)
        .where(IpRecord.id == uuid.UUID(record_id))
        .options(selectinload(IpRecord.events))
    )
    return record


async def _ledger(session: AsyncSession, due: Due, record: IpRecord) -> IpAlert | None:
    """The alert's ledger row, or ``None`` when it was already raised."""
    alert = IpAlert(
        alert_key=due.key(record.id),
        record_id=record.id,
        user_id=record.owner_id,
        kind=due.kind,
        rule=due.deadline.rule,
        deadline_key=due.deadline.key,
        due_date=due.deadline.due_date,
        offset_days=due.offset_days,
    )
    if await session.scalar(select(IpAlert.id).where(IpAlert.alert_key == alert.alert_key)):
        return None
    try:
        async with session.begin_nested():
            session.add(alert)
            await session.flush()
    except IntegrityError:
        return None
    return alert


def _still_open(record: IpRecord, payload: dict[str, Any], when: AsOf) -> Deadline | None:
    """The scanned deadline, unless it was met or moved since the scan."""
    for deadline in records.derive(record, when).deadlines:
        same = deadline.key == payload["deadline"]
        if same and deadline.due_date.isoformat() == payload["due_date"]:
            return None if deadline.status == "met" else deadline
    return None


@jobs.handler(FIRE)
async def fire(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Raise one alert, unless the deadline was met or moved since the scan."""
    record = await _record(session, payload["record_id"])
    if record is None:
        return
    when = _when(payload)
    deadline = _still_open(record, payload, when)
    if deadline is None:
        return
    due = Due(payload["kind"], deadline, payload.get("offset_days"))
    alert = await _ledger(session, due, record)
    if alert is None:
        return
    data = _data(due, record, alert, when.today)
    await notifications.notify(
        session,
        user_id=record.owner_id,
        kind=due.kind,
        title=_title(due, record),
        data=data,
        dedupe_key=alert.alert_key,
    )
    await webhooks.queue(
        session, user_id=record.owner_id, alert_id=alert.id, kind=due.kind, data=data
    )
