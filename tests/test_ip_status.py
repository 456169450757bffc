"""Summary status derived from legal-status events: pure functions over fixed dates."""

from __future__ import annotations

import itertools
from datetime import date

from tests.ip_helpers import derive, ev

FILED = date(2024, 3, 15)
GRANTED = date(2025, 6, 1)


def test_application_moves_through_pending_published_and_under_examination() -> None:
    assert derive(filed=FILED, today=date(2024, 4, 1)).summary == "pending"
    published = [ev("D11", date(2024, 4, 10)), ev("Q10", date(2025, 10, 1))]
    assert derive(filed=FILED, events=published, today=date(2025, 11, 1)).summary == "published"
    examined = [*published, ev("D10", date(2025, 12, 1))]
    assert (
        derive(filed=FILED, events=examined, today=date(2026, 1, 1)).summary == "under_examination"
    )


def test_examination_requested_before_publication_stays_under_examination() -> None:
    events = [ev("D10", date(2024, 6, 1)), ev("Q10", date(2025, 10, 1))]
    assert derive(filed=FILED, events=events, today=date(2025, 11, 1)).summary == (
        "under_examination"
    )


def test_grant_event_moves_the_record_to_granted() -> None:
    derived = derive(filed=FILED, events=[ev("F10", GRANTED)], today=date(2025, 6, 2))
    assert derived.summary == "granted"
    assert derived.timeline.granted_on == GRANTED


def test_paid_annuity_moves_a_granted_patent_in_force() -> None:
    events = [ev("F10", GRANTED), ev("U10", date(2026, 5, 10))]
    derived = derive(filed=FILED, events=events, today=date(2026, 8, 1))
    assert derived.summary == "in_force"
    annuity = next(d for d in derived.deadlines if d.key == "annual_fee:2")
    assert (annuity.status, annuity.met_on) == ("met", date(2026, 5, 10))


def test_missed_annuity_is_lapsed_but_restorable_inside_the_grace_period() -> None:
    derived = derive(filed=FILED, events=[ev("F10", GRANTED)], today=date(2026, 8, 1))
    assert derived.summary == "lapsed_restorable"
    annuity = next(d for d in derived.deadlines if d.key == "annual_fee:2")
    assert (annuity.status, annuity.grace_until) == ("overdue", date(2026, 12, 1))


def test_last_day_of_grace_is_still_restorable() -> None:
    derived = derive(filed=FILED, events=[ev("F10", GRANTED)], today=date(2026, 12, 1))
    assert derived.summary == "lapsed_restorable"


def test_missed_annuity_is_lapsed_after_the_grace_period() -> None:
    derived = derive(filed=FILED, events=[ev("F10", GRANTED)], today=date(2026, 12, 2))
    assert derived.summary == "lapsed"
    assert derived.ended_on == date(2026, 12, 1)
    keys = [d.key for d in derived.deadlines]
    assert "annual_fee:2" in keys  # the missed fee is shown
    assert "annual_fee:3" not in keys  # nothing falls due after the right ended


def test_late_payment_inside_grace_keeps_the_right() -> None:
    events = [ev("F10", GRANTED), ev("U10", date(2026, 10, 1))]
    assert derive(filed=FILED, events=events, today=date(2027, 1, 1)).summary == "in_force"


def test_restoration_after_a_lapse_revives_the_right() -> None:
    events = [ev("F10", GRANTED), ev("K10", date(2027, 2, 1))]
    assert derive(filed=FILED, events=events, today=date(2027, 3, 1)).summary == "in_force"


def test_patent_expires_at_the_end_of_its_term() -> None:
    derived = derive(
        filed=FILED, grant_date=GRANTED, expiry_date=date(2026, 3, 1), today=date(2026, 3, 2)
    )
    assert derived.summary == "expired"


def test_unrenewed_trademark_is_restorable_in_grace_then_expired() -> None:
    events = [ev("F10", date(2021, 5, 1))]
    in_grace = derive("trademark", filed=date(2020, 1, 10), events=events, today=date(2030, 3, 1))
    after = derive("trademark", filed=date(2020, 1, 10), events=events, today=date(2030, 7, 11))
    assert in_grace.summary == "lapsed_restorable"
    assert after.summary == "expired"


def test_ceased_right_is_restorable_and_a_later_termination_makes_it_lapsed() -> None:
    ceased = [ev("F10", GRANTED), ev("U10", date(2026, 5, 1)), ev("H10", date(2027, 1, 5))]
    assert derive(filed=FILED, events=ceased, today=date(2027, 2, 1)).summary == (
        "lapsed_restorable"
    )
    ended = [*ceased, ev("N00", date(2027, 8, 1))]
    assert derive(filed=FILED, events=ended, today=date(2027, 9, 1)).summary == "lapsed"


def test_terminations_map_to_withdrawn_refused_and_revoked() -> None:
    today = date(2027, 1, 1)
    assert derive(filed=FILED, events=[ev("N10", date(2025, 1, 1))], today=today).summary == (
        "withdrawn"
    )
    assert derive(filed=FILED, events=[ev("N11", date(2026, 1, 1))], today=today).summary == (
        "refused"
    )
    revoked = [ev("F10", GRANTED), ev("N12", date(2026, 3, 1))]
    assert derive(filed=FILED, events=revoked, today=today).summary == "revoked"


def test_unmapped_termination_is_a_withdrawal_before_grant_and_a_revocation_after() -> None:
    today = date(2027, 1, 1)
    before = derive(filed=FILED, events=[ev("N00", date(2025, 1, 1))], today=today)
    after = derive(
        filed=FILED, events=[ev("F10", GRANTED), ev("N00", date(2026, 3, 1))], today=today
    )
    assert (before.summary, after.summary) == ("withdrawn", "revoked")


def test_discontinued_application_is_withdrawn_until_revived() -> None:
    discontinued = [ev("Q10", date(2025, 10, 1)), ev("B10", date(2025, 11, 1))]
    assert derive(filed=FILED, events=discontinued, today=date(2026, 1, 1)).summary == ("withdrawn")
    revived = [*discontinued, ev("C10", date(2025, 12, 1))]
    assert derive(filed=FILED, events=revived, today=date(2026, 1, 1)).summary == "published"


def test_ended_application_hides_deadlines_that_fell_after_it() -> None:
    derived = derive(filed=FILED, events=[ev("N10", date(2024, 5, 1))], today=date(2026, 1, 1))
    keys = {d.key for d in derived.deadlines}
    assert "formality_examination" in keys  # fell due before the withdrawal, unmet
    assert "publication" not in keys
    assert "examination_request" not in keys


def test_events_in_reverse_order_give_the_same_state_and_deadlines() -> None:
    events = [
        ev("A10", FILED),
        ev("D11", date(2024, 4, 10)),
        ev("D10", date(2024, 9, 1)),
        ev("Q10", date(2025, 10, 1)),
        ev("F10", GRANTED),
        ev("U10", date(2026, 5, 10)),
        ev("H10", date(2027, 6, 5)),
        ev("K10", date(2027, 7, 1)),
    ]
    today = date(2027, 8, 1)
    forward = derive(filed=FILED, events=events, today=today)
    backward = derive(filed=FILED, events=list(reversed(events)), today=today)
    assert forward.summary == backward.summary == "in_force"
    assert forward.deadlines == backward.deadlines
    assert forward.timeline == backward.timeline


def test_every_arrival_order_gives_the_same_state() -> None:
    events = [
        ev("Q10", date(2025, 10, 1)),
        ev("F10", GRANTED),
        ev("N12", date(2026, 3, 1)),
        ev("K10", date(2026, 9, 1)),
    ]
    results = [
        derive(filed=FILED, events=list(order), today=date(2027, 1, 1))
        for order in itertools.permutations(events)
    ]
    assert results[0].summary == "in_force"
    for result in results[1:]:
        assert (result.summary, result.deadlines) == (results[0].summary, results[0].deadlines)


def test_same_day_events_apply_by_effective_date_then_key() -> None:
    day = date(2025, 6, 1)
    later = ev("F10", day, effective_date=date(2025, 6, 2))
    earlier = ev("N11", day, effective_date=date(2025, 5, 30))
    one = derive(filed=FILED, events=[later, earlier], today=date(2025, 7, 1))
    other = derive(filed=FILED, events=[earlier, later], today=date(2025, 7, 1))
    assert one.summary == other.summary == "granted"


def test_record_dates_stand_in_for_missing_events() -> None:
    derived = derive(filed=FILED, publication_date=date(2025, 10, 1), today=date(2025, 11, 1))
    assert derived.summary == "published"
    granted = derive(filed=FILED, grant_date=GRANTED, today=date(2025, 6, 2))
    assert granted.summary == "granted"
