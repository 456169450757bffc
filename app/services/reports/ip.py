"""IP figures of a period: records by type and summary status, pendency against statutory time.

Records are those entered before the period's end; their status and clock are computed as of
the period's last day from the legal-status events dated up to that day, so a closed period
gives the same figures later (unless events are back-dated into it).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import IpRecord
from app.services.ip import clock as ip_clock
from app.services.ip import records as ip_records
from app.services.ip import status as ip_status
from app.services.reports.periods import Period
from app.services.reports.table import Counts, Table, share, spread, vocabulary_label

TYPE_MEASURES = {
    "records": {"vi": "Tổng số hồ sơ", "en": "Records"},
    "filed": {"vi": "Nộp đơn trong kỳ", "en": "Filed in period"},
    "granted": {"vi": "Được cấp trong kỳ", "en": "Granted in period"},
    "pending": {"vi": "Đang chờ cuối kỳ", "en": "Pending at end"},
    "median_days": {"vi": "Trung vị thời gian chờ (ngày)", "en": "Median pendency (days)"},
    "p90_days": {"vi": "Phân vị 90 (ngày)", "en": "90th percentile (days)"},
    "overdue": {"vi": "Quá thời hạn luật định", "en": "Past statutory time"},
    "overdue_share": {"vi": "Tỷ lệ quá hạn", "en": "Share past statutory time"},
}
# Pendency of pending applications, in months (upper bounds; the last bucket is open).
BUCKETS = ((6, "0-6"), (12, "6-12"), (18, "12-18"), (24, "18-24"), (36, "24-36"), (None, "36+"))
BUCKET_MEASURES = {
    "pending": {"vi": "Đơn đang chờ", "en": "Pending applications"},
    "overdue": {"vi": "Quá thời hạn luật định", "en": "Past statutory time"},
}


@dataclass(frozen=True)
class Sample:
    ip_type: str
    summary: str
    filed_on: date | None
    granted_on: date | None
    days: int | None  # pendency of an application with a filing date
    pending: bool
    overdue: bool


def _as_of(record: IpRecord, day: date) -> Sample:
    """The record as it stood on ``day``: later dates and events unknown yet."""
    facts = ip_records.facts_of(record)
    facts = dataclasses.replace(
        facts,
        publication_date=_until(facts.publication_date, day),
        grant_date=_until(facts.grant_date, day),
    )
    events = [ip_records.event_facts(e) for e in record.events if e.event_date <= day]
    derived = ip_status.derive(facts, events, ip_records.rule_table(), today=day, due_window_days=0)
    rules = ip_records.rule_table().for_record(record.ip_type, record.office)
    found = ip_clock.clock(derived, rules, today=day)
    return Sample(
        ip_type=record.ip_type,
        summary=derived.summary,
        filed_on=record.filing_date,
        granted_on=facts.grant_date,
        days=found.elapsed_days if found else None,
        pending=bool(found and found.pending),
        overdue=bool(found and found.overdue),
    )


def _until(value: date | None, day: date) -> date | None:
    return value if value is not None and value <= day else None


async def samples(session: AsyncSession, period: Period) -> list[Sample]:
    stmt = (
        select(IpRecord)
        .where(IpRecord.created_at < period.end)
        .options(selectinload(IpRecord.events))
        .order_by(IpRecord.id)
    )
    rows = (await session.scalars(stmt)).all()
    return [_as_of(record, period.last_day) for record in rows]


def _within(day: date | None, period: Period) -> bool:
    return day is not None and period.first_day <= day <= period.last_day


def by_type(items: Sequence[Sample], period: Period) -> Counts:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for item in items:
        groups[item.ip_type].append(item)
    out: Counts = {}
    for ip_type, group in groups.items():
        waiting = [s for s in group if s.pending and s.days is not None]
        late = sum(1 for s in waiting if s.overdue)
        out[ip_type] = {
            "records": len(group),
            "filed": sum(1 for s in group if _within(s.filed_on, period)),
            "granted": sum(1 for s in group if _within(s.granted_on, period)),
            "pending": len(waiting),
            **spread(float(s.days) for s in waiting if s.days is not None),
            "overdue": late,
            "overdue_share": share(late, len(waiting)),
        }
    return out


def by_status(items: Sequence[Sample]) -> Counts:
    return {status: {"records": n} for status, n in Counter(s.summary for s in items).items()}


def pendency(items: Sequence[Sample]) -> Counts:
    out: Counts = {label: {"pending": 0, "overdue": 0} for _, label in BUCKETS}
    for s in items:
        if not s.pending or s.days is None:
            continue
        months = s.days / 30.44
        label = next(lab for top, lab in BUCKETS if top is None or months < top)
        figures = out[label]
        figures["pending"] = int(figures["pending"] or 0) + 1
        figures["overdue"] = int(figures["overdue"] or 0) + int(s.overdue)
    return out


async def tables(session: AsyncSession, period: Period) -> list[Table]:
    previous = period.previous()
    now, before = await samples(session, period), await samples(session, previous)
    types = Table(
        "ip_by_type",
        {"vi": "Hồ sơ SHTT theo loại và thời gian chờ", "en": "IP records by type and pendency"},
        "ip_type",
        TYPE_MEASURES,
        label=vocabulary_label("ip_types"),
        current=by_type(now, period),
        previous=by_type(before, previous),
    )
    statuses = Table(
        "ip_by_status",
        {"vi": "Hồ sơ SHTT theo tình trạng", "en": "IP records by summary status"},
        "summary_status",
        {"records": TYPE_MEASURES["records"]},
        label=vocabulary_label("ip_summary_statuses"),
        current=by_status(now),
        previous=by_status(before),
    )
    buckets = Table(
        "ip_pendency",
        {"vi": "Phân bố thời gian chờ (tháng)", "en": "Pendency distribution (months)"},
        "months",
        BUCKET_MEASURES,
        current=pendency(now),
        previous=pendency(before),
        order=[label for _, label in BUCKETS],
    )
    return [types, statuses, buckets]
