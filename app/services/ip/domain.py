"""Plain values the IP-status derivation works on: no database, no clock, no settings."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

# Pre-grant stages in the order an application moves through them.
STAGES = ("pending", "published", "under_examination")
# Summary statuses after which no deadline runs any more.
ENDED = frozenset({"lapsed", "expired", "withdrawn", "refused", "revoked"})
SUMMARY_STATUSES = (
    *STAGES,
    "granted",
    "in_force",
    "lapsed_restorable",
    *sorted(ENDED),
)
DEADLINE_STATUSES = ("upcoming", "due", "overdue", "met")


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st of a shorter month becomes its last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def shift(day: date, *, years: int = 0, months: int = 0, days: int = 0) -> date:
    return add_months(day, years * 12 + months) + timedelta(days=days)


def local_today(utc_offset_hours: int, *, now: datetime | None = None) -> date:
    """The calendar date at the office (Viet Nam: UTC+7)."""
    moment = now or datetime.now(UTC)
    return (moment.astimezone(UTC) + timedelta(hours=utc_offset_hours)).date()


@dataclass(frozen=True)
class RecordFacts:
    """What the record itself says (dates typed in by its owner or taken from the office)."""

    ip_type: str
    office: str
    filing_date: date | None = None
    priority_date: date | None = None
    publication_date: date | None = None
    grant_date: date | None = None
    expiry_date: date | None = None


@dataclass(frozen=True)
class EventFacts:
    """One legal-status event, reduced to what the derivation reads."""

    category: str
    key_event: str
    event_date: date
    effective_date: date | None = None
    fee_year: int | None = None
    national_code: str | None = None

    @property
    def order(self) -> tuple[date, date, str, str]:
        """Events apply by event date, then effective date, then key: never by arrival."""
        return (
            self.event_date,
            self.effective_date or self.event_date,
            self.key_event,
            self.national_code or "",
        )


@dataclass(frozen=True)
class Payment:
    paid_on: date
    fee_year: int | None


@dataclass
class Timeline:
    """The record's history folded from its events, in event-date order."""

    filed_on: date | None = None
    priority_on: date | None = None
    stage: str = "pending"
    granted_on: date | None = None
    terminal: tuple[str, date] | None = None
    ceased_on: date | None = None
    restored_on: date | None = None
    first: dict[str, date] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)

    def date_of(self, anchor: str) -> date | None:
        """The date an anchor of the rule table names, if it has happened."""
        if anchor == "filing":
            return self.filed_on
        if anchor == "priority":
            return self.priority_on or self.filed_on
        if anchor == "granted":
            return self.granted_on
        return self.first.get(anchor)

    @property
    def decided_on(self) -> date | None:
        """When the office (or the applicant) ended the application phase."""
        if self.granted_on is not None:
            return self.granted_on
        return self.terminal[1] if self.terminal else None

    @property
    def maintained_after_grant(self) -> bool:
        granted = self.granted_on
        if granted is None:
            return False
        return self.restored_on is not None or any(p.paid_on >= granted for p in self.payments)


@dataclass(frozen=True)
class Deadline:
    """One thing to do by a date: who acts, under which rule, and where it stands."""

    key: str
    rule: str
    label: dict[str, str]
    actor: str
    kind: str
    due_date: date
    status: str
    legal_basis: dict[str, str]
    met_on: date | None = None
    number: int | None = None
    grace_until: date | None = None
    estimated: bool = False
    optional: bool = False


@dataclass(frozen=True)
class Derived:
    """The summary status, the schedule behind it and the deadlines a user sees."""

    summary: str
    timeline: Timeline
    schedule: list[Deadline]
    deadlines: list[Deadline]
    term_end: date | None
    ended_on: date | None
