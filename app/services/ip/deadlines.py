"""Deadlines from the rule table and a record's timeline: pure functions over dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from app.services.ip.domain import Deadline, Payment, RecordFacts, Timeline, add_months, shift
from app.services.ip.rules import Rule, RuleTable

# Periodic rules with no term to stop them (trademark renewals) are cut here.
MAX_PERIODS = 100


def status_for(due: date, met_on: date | None, *, today: date, due_window_days: int) -> str:
    """met, overdue (past and unmet), due (within the nearest alert offset) or upcoming."""
    if met_on is not None:
        return "met"
    days_left = (due - today).days
    if days_left < 0:
        return "overdue"
    return "due" if days_left <= due_window_days else "upcoming"


def _deadline(rule: Rule, key: str, due: date, status: str, **extra: object) -> Deadline:
    return Deadline(
        key=key,
        rule=rule.code,
        label=rule.label,
        actor=rule.actor,
        kind=rule.kind,
        due_date=due,
        status=status,
        legal_basis=rule.legal_basis,
        optional=rule.optional,
        **extra,  # type: ignore[arg-type]
    )


def resolve_due(rule: Rule, timeline: Timeline, known: dict[str, date]) -> tuple[date | None, bool]:
    """The latest of the rule's anchored dates, and whether an estimate stood in for one."""
    candidates: list[tuple[date, bool]] = []
    for anchor in rule.due:
        start, estimated = timeline.date_of(anchor.source), False
        if start is None and anchor.estimate_from_rule in known:
            start, estimated = known[anchor.estimate_from_rule], True
        if start is None:
            return None, False
        candidates.append((shift(start, months=anchor.months, days=anchor.days), estimated))
    if not candidates:
        return None, False
    latest = max(day for day, _ in candidates)
    return latest, all(estimated for day, estimated in candidates if day == latest)


def _met_on(rule: Rule, timeline: Timeline) -> date | None:
    dates = [timeline.first[e] for e in rule.met_by if e in timeline.first]
    if "granted" in rule.met_by and timeline.granted_on is not None:
        dates.append(timeline.granted_on)
    return min(dates) if dates else None


def _once(
    rule: Rule,
    facts: RecordFacts,
    timeline: Timeline,
    known: dict[str, date],
    *,
    today: date,
    window: int,
) -> Deadline | None:
    if rule.first_filing_only and facts.priority_date is not None:
        return None
    due, estimated = resolve_due(rule, timeline, known)
    if due is None:
        return None
    known[rule.code] = due
    met_on = _met_on(rule, timeline)
    status = status_for(due, met_on, today=today, due_window_days=window)
    if rule.optional and status == "overdue":
        return None  # an optional window that closed is no longer a deadline
    return _deadline(rule, rule.code, due, status, met_on=met_on, estimated=estimated)


def _pay(
    payments: list[Payment], used: set[int], number: int, due: date, grace: date, opens: date
) -> date | None:
    """The payment covering period ``number``: one naming it, else the first in its window."""
    for i, payment in enumerate(payments):
        if i not in used and payment.fee_year == number:
            used.add(i)
            return payment.paid_on
    for i, payment in enumerate(payments):
        if i not in used and payment.fee_year is None and opens <= payment.paid_on <= grace:
            used.add(i)
            return payment.paid_on
    return None


def periods(
    rule: Rule, timeline: Timeline, *, until: date | None
) -> Iterator[tuple[int, date, date, date | None]]:
    """(number, due date, end of grace, paid on) for each period of a periodic rule."""
    spec = rule.periodic
    start = timeline.date_of(spec.source) if spec else None
    if spec is None or start is None:
        return
    if spec.requires and timeline.date_of(spec.requires) is None:
        return
    payments = sorted(timeline.payments, key=lambda p: p.paid_on)
    used: set[int] = set()
    for n in range(1, (spec.max_count or MAX_PERIODS) + 1):
        due = shift(start, years=n * spec.every_years)
        if until is not None and due >= until:
            return
        grace = add_months(due, spec.grace_months)
        opens = add_months(due, -spec.months_before)
        number = n + spec.number_offset
        paid = _pay(payments, used, number, due, grace, opens)
        if paid is None and timeline.restored_on is not None and timeline.restored_on > due:
            paid = timeline.restored_on  # restoration cures the periods missed before it
        yield number, due, grace, paid


def term_end(facts: RecordFacts, timeline: Timeline, table: RuleTable) -> date | None:
    """When protection ends: the record's own expiry date, else the term rule with renewals."""
    if facts.expiry_date is not None:
        return facts.expiry_date
    rule = next((r for r in table.for_record(facts.ip_type, facts.office) if r.term), None)
    if rule is None or rule.term is None:
        return None
    start = timeline.date_of(rule.term.source)
    if start is None:
        return None
    end = shift(start, years=rule.term.years)
    renewal = table.rule(rule.term.renewal_rule) if rule.term.renewal_rule else None
    if renewal is not None and renewal.periodic is not None:
        for _, _, _, paid in periods(renewal, timeline, until=None):
            if paid is None:
                break
            end = shift(end, years=renewal.periodic.every_years)
    return end


def _periodic(
    rule: Rule, timeline: Timeline, *, until: date | None, today: date, window: int
) -> list[Deadline]:
    out: list[Deadline] = []
    assert rule.periodic is not None
    for number, due, grace, paid in periods(rule, timeline, until=until):
        status = status_for(due, paid, today=today, due_window_days=window)
        out.append(
            _deadline(
                rule,
                f"{rule.code}:{number}",
                due,
                status,
                met_on=paid,
                number=number,
                grace_until=grace,
            )
        )
        if paid is None and rule.periodic.show == "next":
            break
    return out


def _term(
    rule: Rule, end: date | None, timeline: Timeline, *, today: date, window: int
) -> Deadline | None:
    if end is None or timeline.granted_on is None:
        return None
    passed = end if end < today else None  # a term that has run is met, not overdue
    return _deadline(
        rule,
        rule.code,
        end,
        status_for(end, passed, today=today, due_window_days=window),
        met_on=passed,
    )


def compute(
    facts: RecordFacts,
    timeline: Timeline,
    table: RuleTable,
    *,
    today: date,
    due_window_days: int,
) -> tuple[list[Deadline], date | None]:
    """Every deadline the rules give this record, in due-date order, and its term end."""
    end = term_end(facts, timeline, table)
    known: dict[str, date] = {}
    out: list[Deadline] = []
    for rule in table.for_record(facts.ip_type, facts.office):
        if rule.kind == "once":
            found = _once(rule, facts, timeline, known, today=today, window=due_window_days)
            out.extend([found] if found else [])
        elif rule.kind == "periodic":
            until = end if rule.periodic and rule.periodic.source == "granted" else None
            out.extend(_periodic(rule, timeline, until=until, today=today, window=due_window_days))
        else:
            found = _term(rule, end, timeline, today=today, window=due_window_days)
            out.extend([found] if found else [])
    out.sort(key=lambda d: (d.due_date, d.key))
    return out, end
