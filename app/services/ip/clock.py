"""The statutory clock of an application and pendency statistics across applications.

Pendency runs from filing to the decision (grant, refusal, withdrawal) or, while the
application is pending, to the day asked about. An application is overdue when some office
stage (formality examination, publication, substantive examination) took, or is taking, longer
than the rule table allows.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import IpRecord
from app.services.ip import records
from app.services.ip.domain import Deadline, Derived
from app.services.ip.records import AsOf
from app.services.ip.rules import Rule, RuleTable

BATCH = 500


@dataclass(frozen=True)
class Stage:
    rule: str
    label: dict[str, str]
    status: str
    started_on: date | None
    ended_on: date | None
    due_date: date | None
    statutory_days: int | None
    elapsed_days: int | None
    overdue: bool


@dataclass(frozen=True)
class Clock:
    pending: bool
    filed_on: date
    decided_on: date | None
    elapsed_days: int
    statutory_days: int | None
    overdue: bool
    stages: list[Stage]


def _start(rule: Rule, derived: Derived, previous_end: date | None) -> date | None:
    dates = [derived.timeline.date_of(anchor) for anchor in rule.clock_start]
    if "accepted" in rule.clock_start and dates[rule.clock_start.index("accepted")] is None:
        dates[rule.clock_start.index("accepted")] = previous_end
    known = [d for d in dates if d is not None]
    return max(known) if known and len(known) == len(dates) else None


def _stage(
    rule: Rule, deadline: Deadline | None, start: date | None, stop: date, *, decided: bool
) -> Stage:
    due = deadline.due_date if deadline else None
    end = deadline.met_on if deadline else None
    if start is None or due is None:
        return Stage(rule.code, rule.label, "waiting", start, None, due, None, None, False)
    until = end or stop
    status = "done" if end else ("stopped" if decided else "running")
    return Stage(
        rule=rule.code,
        label=rule.label,
        status=status,
        started_on=start,
        ended_on=end,
        due_date=due,
        statutory_days=(due - start).days,
        elapsed_days=max(0, (until - start).days),
        overdue=until > due,
    )


def clock(derived: Derived, rules: Iterable[Rule], *, today: date) -> Clock | None:
    """The per-stage and total clock of an application with a filing date."""
    line = derived.timeline
    if line.filed_on is None:
        return None
    decided = line.decided_on
    stop = min(decided, today) if decided else today
    by_rule = {d.rule: d for d in derived.schedule}
    stages: list[Stage] = []
    previous_end: date | None = line.filed_on
    for rule in (r for r in rules if r.clock_stage):
        start = _start(rule, derived, previous_end)
        stage = _stage(rule, by_rule.get(rule.code), start, stop, decided=decided is not None)
        stages.append(stage)
        previous_end = stage.ended_on
    last_due = stages[-1].due_date if stages and stages[-1].status != "waiting" else None
    return Clock(
        pending=decided is None
        and derived.summary in ("pending", "published", "under_examination"),
        filed_on=line.filed_on,
        decided_on=decided,
        elapsed_days=(stop - line.filed_on).days,
        statutory_days=(last_due - line.filed_on).days if last_due else None,
        overdue=any(s.overdue for s in stages),
        stages=stages,
    )


def record_clock(record: IpRecord, when: AsOf) -> Clock | None:
    derived = records.derive(record, when)
    rules = records.rule_table().for_record(record.ip_type, record.office)
    return clock(derived, rules, today=when.today)


@dataclass(frozen=True)
class Sample:
    ip_type: str
    office: str
    year: int
    days: int
    overdue: bool
    pending: bool


@dataclass(frozen=True)
class Group:
    ip_type: str
    office: str
    year: int
    applications: int
    pending: int
    median_days: float
    p90_days: int
    overdue: int
    share_overdue: float


def percentile(values: list[int], share: float) -> int:
    """Nearest-rank percentile: the smallest value with ``share`` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def aggregate(samples: Iterable[Sample]) -> list[Group]:
    """Median, 90th percentile and share overdue per (type, office, filing year)."""
    groups: dict[tuple[str, str, int], list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[(sample.ip_type, sample.office, sample.year)].append(sample)
    out = []
    for (ip_type, office, year), items in sorted(groups.items()):
        days = [s.days for s in items]
        late = sum(1 for s in items if s.overdue)
        out.append(
            Group(
                ip_type=ip_type,
                office=office,
                year=year,
                applications=len(items),
                pending=sum(1 for s in items if s.pending),
                median_days=float(statistics.median(days)),
                p90_days=percentile(days, 0.9),
                overdue=late,
                share_overdue=round(late / len(items), 4),
            )
        )
    return out


def _sample(record: IpRecord, when: AsOf, table: RuleTable) -> Sample | None:
    derived = records.derive(record, when)
    found = clock(derived, table.for_record(record.ip_type, record.office), today=when.today)
    if found is None or record.filing_date is None:
        return None
    return Sample(
        record.ip_type,
        record.office,
        record.filing_date.year,
        found.elapsed_days,
        found.overdue,
        found.pending,
    )


async def samples(
    session: AsyncSession,
    *,
    when: AsOf,
    table: RuleTable,
    ip_type: str | None,
    office: str | None,
    year: int | None,
) -> list[Sample]:
    """One pendency sample per application with a filing date, read in batches."""
    stmt = select(IpRecord).where(IpRecord.filing_date.is_not(None))
    if ip_type:
        stmt = stmt.where(IpRecord.ip_type == ip_type)
    if office:
        stmt = stmt.where(IpRecord.office == office)
    if year:
        stmt = stmt.where(IpRecord.filing_date.between(date(year, 1, 1), date(year, 12, 31)))
    stmt = stmt.options(selectinload(IpRecord.events)).order_by(IpRecord.id).limit(BATCH)
    out: list[Sample] = []
    rows = list((await session.scalars(stmt)).all())
    while rows:
        out.extend(s for s in (_sample(r, when, table) for r in rows) if s is not None)
        if len(rows) < BATCH:
            break
        rows = list((await session.scalars(stmt.where(IpRecord.id > rows[-1].id))).all())
    return out
