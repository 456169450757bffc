"""Report periods: a month (``2026-04``) or a quarter (``2026-Q2``) in the service's local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from app.core.errors import Unprocessable

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class BadPeriod(Unprocessable):
    slug, title = "bad-period", "The period is not a month (YYYY-MM) or a quarter (YYYY-Qn)"


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    year: int
    number: int  # month 1-12 or quarter 1-4
    utc_offset_hours: int

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        return f"{self.year:04d}-Q{self.number}"

    @property
    def first_day(self) -> date:
        month = self.number if self.kind == "month" else 3 * self.number - 2
        return date(self.year, month, 1)

    @property
    def next_first_day(self) -> date:
        months = 1 if self.kind == "month" else 3
        month0 = self.first_day.month - 1 + months
        return date(self.year + month0 // 12, month0 % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next_first_day - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.next_first_day - self.first_day).days

    def _instant(self, day: date) -> datetime:
        zone = timezone(timedelta(hours=self.utc_offset_hours))
        return datetime(day.year, day.month, day.day, tzinfo=zone)

    @property
    def start(self) -> datetime:
        return self._instant(self.first_day)

    @property
    def end(self) -> datetime:
        return self._instant(self.next_first_day)

    def local_day(self, instant: datetime) -> date:
        """The calendar day of ``instant`` in the service's local time."""
        zone = timezone(timedelta(hours=self.utc_offset_hours))
        return instant.astimezone(zone).date()

    def previous(self) -> Period:
        last = 12 if self.kind == "month" else 4
        if self.number == 1:
            return Period(self.kind, self.year - 1, last, self.utc_offset_hours)
        return Period(self.kind, self.year, self.number - 1, self.utc_offset_hours)


def parse(text: str, *, utc_offset_hours: int) -> Period:
    """``2026-04`` or ``2026-Q2``; anything else is a 422 problem."""
    text = text.strip().upper()
    if match := _MONTH.match(text):
        return Period("month", int(match[1]), int(match[2]), utc_offset_hours)
    if match := _QUARTER.match(text):
        return Period("quarter", int(match[1]), int(match[2]), utc_offset_hours)
    raise BadPeriod(f"Period {text!r}: use YYYY-MM (a month) or YYYY-Qn (a quarter)")


def current(*, utc_offset_hours: int, kind: str = "month") -> Period:
    """The period that contains now."""
    today = (datetime.now(UTC) + timedelta(hours=utc_offset_hours)).date()
    number = today.month if kind == "month" else (today.month - 1) // 3 + 1
    return Period(kind, today.year, number, utc_offset_hours)
