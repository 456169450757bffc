"""Summary status of an IP record, derived from its legal-status events: pure functions.

Events apply in the order of (event date, effective date, key event), whatever order they
arrived in, so an office export replayed backwards yields the same state. Dates typed on the
record stand in for the filing, publication and grant events it does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.services.ip import deadlines as ip_deadlines
from app.services.ip.domain import (
    ENDED,
    STAGES,
    Deadline,
    Derived,
    EventFacts,
    Payment,
    RecordFacts,
    Timeline,
)
from app.services.ip.rules import RuleTable

# Record dates that count as events when no event of that effect was recorded.
IMPLIED = (("filing_date", "filed"), ("publication_date", "published"), ("grant_date", "granted"))
STAGE_OF = {"published": 1, "examination_requested": 2}


def _effects(
    facts: RecordFacts, events: Sequence[EventFacts], table: RuleTable
) -> list[tuple[EventFacts, str]]:
    resolved = [(e, table.effect_of(e.category, e.key_event)) for e in events]
    known = [(e, effect) for e, effect in resolved if effect is not None]
    present = {effect for _, effect in known}
    for attribute, effect in IMPLIED:
        day = getattr(facts, attribute)
        if day is not None and effect not in present:
            known.append((EventFacts(category="", key_event="", event_date=day), effect))
    return sorted(known, key=lambda pair: pair[0].order)


def _terminate(line: Timeline, effect: str, day: date, table: RuleTable) -> None:
    if effect == "terminated":
        after = line.granted_on is not None
        effect = table.terminated_default["after_grant" if after else "before_grant"]
        if after and line.ceased_on is not None:
            effect = "lapsed"  # the end of a right that had ceased for an unpaid fee
    line.terminal = (effect, day)


def _apply(line: Timeline, event: EventFacts, effect: str, table: RuleTable) -> None:
    day = event.event_date
    granted = line.granted_on is not None
    if effect == "published" and granted:
        effect = "grant_published"
    line.first.setdefault(effect, day)
    if effect in STAGE_OF and not granted:
        line.stage = STAGES[max(STAGES.index(line.stage), STAGE_OF[effect])]
    elif effect == "granted":
        line.granted_on, line.terminal, line.ceased_on = day, None, None
    elif effect == "discontinued" and not granted:
        line.terminal = ("withdrawn", day)
    elif effect == "revived" and not granted:
        line.terminal = None
    elif effect == "ceased" and granted:
        line.ceased_on = day
    elif effect == "restored":
        line.restored_on, line.ceased_on, line.terminal = day, None, None
    elif effect in ("fee_paid", "maintained"):
        line.payments.append(Payment(paid_on=day, fee_year=event.fee_year))
    elif effect in ("terminated", "withdrawn", "refused", "revoked", "expired"):
        _terminate(line, effect, day, table)


def timeline(facts: RecordFacts, events: Sequence[EventFacts], table: RuleTable) -> Timeline:
    """Fold the events, oldest first, into the record's history."""
    line = Timeline(filed_on=facts.filing_date, priority_on=facts.priority_date)
    for event, effect in _effects(facts, events, table):
        _apply(line, event, effect, table)
    if line.filed_on is None:
        line.filed_on = line.first.get("filed")
    return line


def _missed(schedule: Sequence[Deadline], today: date) -> tuple[Deadline, bool] | None:
    """The first unpaid maintenance period that fell due, and whether its grace has ended."""
    for item in schedule:
        if item.kind == "periodic" and item.met_on is None and item.due_date < today:
            grace = item.grace_until or item.due_date
            return item, today > grace
    return None


def summarize(
    line: Timeline,
    schedule: Sequence[Deadline],
    *,
    term_end: date | None,
    on_missed: dict[str, str],
    today: date,
) -> tuple[str, date | None]:
    """The summary status as of ``today`` and, for an ended right, when it ended."""
    if line.terminal is not None:
        return line.terminal
    if line.granted_on is None:
        return line.stage, None
    missed = _missed(schedule, today)
    if missed is not None and missed[1]:
        item = missed[0]
        return on_missed.get(item.rule, "lapsed"), item.grace_until
    if missed is not None:
        return "lapsed_restorable", None  # a fee or renewal is late, still inside its grace
    if term_end is not None and today > term_end:
        return "expired", term_end
    if line.ceased_on is not None:
        return "lapsed_restorable", None
    return ("in_force" if line.maintained_after_grant else "granted"), None


def _visible(schedule: list[Deadline], summary: str, ended_on: date | None) -> list[Deadline]:
    """An ended right keeps what was met and what was missed before it ended, nothing after."""
    if summary not in ENDED:
        return schedule
    return [
        d for d in schedule if d.status == "met" or (ended_on is not None and d.due_date < ended_on)
    ]


def derive(
    facts: RecordFacts,
    events: Sequence[EventFacts],
    table: RuleTable,
    *,
    today: date,
    due_window_days: int,
) -> Derived:
    """Summary status, the full schedule and the visible deadlines of one record."""
    line = timeline(facts, events, table)
    schedule, end = ip_deadlines.compute(
        facts, line, table, today=today, due_window_days=due_window_days
    )
    on_missed = {r.code: r.on_missed for r in table.rules if r.on_missed}
    summary, ended_on = summarize(line, schedule, term_end=end, on_missed=on_missed, today=today)
    return Derived(
        summary=summary,
        timeline=line,
        schedule=schedule,
        deadlines=_visible(schedule, summary, ended_on),
        term_end=end,
        ended_on=ended_on,
    )
