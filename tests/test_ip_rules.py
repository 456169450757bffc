"""The rule table and the deadlines it gives: pure functions over fixed dates."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from app import vocabularies
from app.services.ip import rules as ip_rules
from app.services.ip import status as ip_status
from app.services.ip.domain import RecordFacts, add_months, local_today, shift
from app.services.ip.rules import RuleTableError
from tests.ip_helpers import TABLE, derive, due_dates, ev

FILED = date(2024, 3, 15)


def test_month_arithmetic_clamps_to_the_end_of_shorter_months() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert shift(date(2024, 2, 29), years=1) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 15), 19) == date(2026, 6, 15)


def test_today_is_the_date_in_viet_nam() -> None:
    from datetime import UTC, datetime

    late_evening_utc = datetime(2024, 3, 15, 18, 30, tzinfo=UTC)
    assert local_today(7, now=late_evening_utc) == date(2024, 3, 16)
    assert local_today(0, now=late_evening_utc) == date(2024, 3, 15)


def test_packaged_rule_table_loads_and_cites_a_legal_basis_for_every_rule() -> None:
    assert TABLE.name == "ip_rules_vn"
    assert len(TABLE.rules) >= 15
    for rule in TABLE.rules:
        assert rule.legal_basis["vi"] and rule.legal_basis["en"], rule.code
        assert rule.label["vi"] and rule.label["en"], rule.code


def test_rule_table_is_a_browsable_vocabulary_with_terms() -> None:
    document = vocabularies.load("ip_rules_vn")
    assert {"name", "version", "source", "terms"} <= set(document)
    assert all({"code", "label"} <= set(term) for term in document["terms"])


def test_malformed_rule_table_is_refused_naming_the_rule() -> None:
    document = copy.deepcopy(vocabularies.load("ip_rules_vn"))
    document["terms"][0]["due"]["latest_of"][0]["from"] = "lunar_new_year"
    with pytest.raises(RuleTableError, match="formality_examination"):
        ip_rules.parse(document)


def test_rule_table_refers_only_to_known_rules() -> None:
    document = copy.deepcopy(vocabularies.load("ip_rules_vn"))
    document["terms"][1]["due"]["latest_of"][1]["estimate_from_rule"] = "nowhere"
    with pytest.raises(RuleTableError, match="unknown rule"):
        ip_rules.parse(document)


def test_patent_with_no_events_shows_formality_and_publication_deadlines() -> None:
    derived = derive(filed=FILED, today=date(2024, 3, 20))
    dues = due_dates(derived)
    assert dues["formality_examination"] == date(2024, 4, 15)  # Art. 119(1): one month
    assert dues["publication"] == date(2025, 10, 15)  # Art. 110(3): 19th month from filing
    assert dues["examination_request"] == date(2027, 9, 15)  # Art. 113: 42 months
    by_key = {d.key: d for d in derived.deadlines}
    assert by_key["formality_examination"].actor == "office"
    assert by_key["examination_request"].actor == "applicant"
    assert by_key["formality_examination"].status == "upcoming"
    assert "Art. 119" in by_key["formality_examination"].legal_basis["en"]


def test_publication_counts_from_the_priority_date() -> None:
    derived = derive(filed=FILED, priority_date=date(2023, 6, 1), today=date(2024, 3, 20))
    assert due_dates(derived)["publication"] == date(2025, 1, 1)


def test_publication_is_two_months_after_a_late_acceptance() -> None:
    derived = derive(
        filed=date(2024, 3, 15),
        priority_date=date(2023, 1, 10),
        events=[ev("D11", date(2024, 11, 20))],
        today=date(2024, 12, 1),
    )
    publication = next(d for d in derived.deadlines if d.rule == "publication")
    # 19 months from priority is 2024-08-10; two months from acceptance is later.
    assert publication.due_date == date(2025, 1, 20)
    assert publication.estimated is False


def test_design_publication_is_estimated_until_the_acceptance_is_known() -> None:
    derived = derive("industrial_design", filed=FILED, today=date(2024, 3, 20))
    publication = next(d for d in derived.deadlines if d.rule == "publication_design_mark")
    assert publication.due_date == date(2024, 6, 15)
    assert publication.estimated is True


def test_substantive_examination_runs_from_the_later_of_publication_and_request() -> None:
    before = derive(
        filed=FILED,
        events=[ev("Q10", date(2025, 10, 1)), ev("D10", date(2025, 1, 5))],
        today=date(2025, 11, 1),
    )
    after = derive(
        filed=FILED,
        events=[ev("Q10", date(2025, 10, 1)), ev("D10", date(2026, 2, 1))],
        today=date(2026, 3, 1),
    )
    assert due_dates(before)["substantive_examination"] == date(2026, 10, 1)
    assert due_dates(after)["substantive_examination"] == date(2027, 2, 1)


def test_utility_solution_examination_request_is_due_in_36_months() -> None:
    derived = derive("utility_solution", filed=FILED, today=date(2024, 3, 20))
    assert due_dates(derived)["examination_request_utility"] == date(2027, 3, 15)


def test_deadline_is_due_within_the_nearest_alert_offset_and_overdue_after() -> None:
    def status(today: date) -> str:
        derived = derive(filed=FILED, today=today)
        return next(d.status for d in derived.deadlines if d.key == "formality_examination")

    assert status(date(2024, 4, 7)) == "upcoming"
    assert status(date(2024, 4, 8)) == "due"
    assert status(date(2024, 4, 15)) == "due"
    assert status(date(2024, 4, 16)) == "overdue"


def test_deadline_met_by_a_matching_event() -> None:
    derived = derive(filed=FILED, events=[ev("D11", date(2024, 4, 2))], today=date(2024, 6, 1))
    formality = next(d for d in derived.deadlines if d.key == "formality_examination")
    assert (formality.status, formality.met_on) == ("met", date(2024, 4, 2))


def test_paris_priority_window_shows_while_open_and_only_for_a_first_filing() -> None:
    open_window = derive(filed=FILED, today=date(2024, 3, 20))
    closed = derive(filed=FILED, today=date(2025, 3, 16))
    claimed = derive(filed=FILED, priority_date=date(2023, 9, 1), today=date(2024, 3, 20))
    assert due_dates(open_window)["paris_priority"] == date(2025, 3, 15)
    assert "paris_priority" not in due_dates(closed)
    assert "paris_priority" not in due_dates(claimed)


def test_pct_application_must_enter_the_national_phase_at_31_months() -> None:
    derived = derive(
        filed=date(2024, 1, 20),
        priority_date=date(2023, 1, 20),
        office="PCT",
        today=date(2024, 2, 1),
    )
    dues = due_dates(derived)
    assert dues["pct_national_phase"] == date(2025, 8, 20)
    assert "formality_examination" not in dues  # the VN procedure applies after entry


def test_grant_creates_the_annuity_schedule_up_to_the_end_of_term() -> None:
    derived = derive(filed=FILED, events=[ev("F10", date(2025, 6, 1))], today=date(2025, 6, 2))
    annuities = [d for d in derived.deadlines if d.rule == "annual_fee"]
    assert [a.number for a in annuities] == list(range(2, 20))
    assert (annuities[0].due_date, annuities[0].grace_until) == (
        date(2026, 6, 1),
        date(2026, 12, 1),
    )
    assert annuities[-1].due_date == date(2043, 6, 1)
    assert derived.term_end == date(2044, 3, 15)  # Art. 93(2): 20 years from filing


def test_annuity_paid_naming_its_year_meets_that_year_only() -> None:
    derived = derive(
        filed=FILED,
        events=[ev("F10", date(2025, 6, 1)), ev("U10", date(2026, 5, 10), fee_year=3)],
        today=date(2026, 5, 28),
    )
    statuses = {d.key: d.status for d in derived.deadlines}
    assert statuses["annual_fee:3"] == "met"
    assert statuses["annual_fee:2"] == "due"


def test_trademark_renewal_extends_the_term_by_ten_years() -> None:
    events = [ev("F10", date(2021, 5, 1)), ev("M10", date(2029, 12, 1))]
    derived = derive("trademark", filed=date(2020, 1, 10), events=events, today=date(2030, 2, 1))
    assert derived.term_end == date(2040, 1, 10)
    renewals = [d for d in derived.deadlines if d.rule == "renewal_trademark"]
    assert [(r.number, r.status) for r in renewals] == [(1, "met"), (2, "upcoming")]


def test_design_can_be_renewed_only_twice() -> None:
    events = [
        ev("F10", date(2019, 1, 1)),
        ev("M10", date(2022, 12, 1)),
        ev("M10", date(2027, 12, 1)),
    ]
    derived = derive(
        "industrial_design", filed=date(2018, 1, 10), events=events, today=date(2028, 2, 1)
    )
    renewals = [d for d in derived.deadlines if d.rule == "renewal_design"]
    assert [r.number for r in renewals] == [1, 2]
    assert derived.term_end == date(2033, 1, 10)  # Art. 93(4): at most 15 years


def test_a_rule_table_file_replaces_the_packaged_one_without_code(tmp_path: Path) -> None:
    document = copy.deepcopy(vocabularies.load("ip_rules_vn"))
    document["version"] = "2027-01"
    document["terms"][0]["due"]["latest_of"][0]["months"] = 2
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    table = ip_rules.load(str(path))
    facts = RecordFacts(ip_type="invention_patent", office="VN", filing_date=FILED)
    derived = ip_status.derive(facts, [], table, today=date(2024, 3, 20), due_window_days=7)
    assert table.version == "2027-01"
    assert due_dates(derived)["formality_examination"] == date(2024, 5, 15)
