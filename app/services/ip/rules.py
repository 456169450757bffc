"""The deadline rule table: a data file (Vietnamese law by default) read into typed rules.

The table is ``app/vocabularies/ip_rules_vn.json`` unless ``TECHX_IP_RULES_PATH`` names another
file of the same shape, so a rule and its legal basis are corrected without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app import vocabularies

KINDS = ("once", "periodic", "term")
ACTORS = ("applicant", "office", "none")
ANCHORS = (
    "filing",
    "priority",
    "accepted",
    "published",
    "examination_requested",
    "granted",
    "grant_published",
    "national_phase_entered",
)
EFFECTS = frozenset(
    {
        "filed",
        "accepted",
        "published",
        "grant_published",
        "examination_requested",
        "granted",
        "discontinued",
        "revived",
        "ceased",
        "restored",
        "maintained",
        "fee_paid",
        "terminated",
        "withdrawn",
        "refused",
        "revoked",
        "expired",
        "national_phase_entered",
    }
)


class RuleTableError(ValueError):
    """The rule table file is malformed; the message names the rule and the field."""


@dataclass(frozen=True)
class Anchor:
    source: str
    months: int = 0
    days: int = 0
    estimate_from_rule: str | None = None


@dataclass(frozen=True)
class Periodic:
    source: str
    every_years: int
    number_offset: int
    max_count: int | None
    show: str
    requires: str | None
    months_before: int
    grace_months: int


@dataclass(frozen=True)
class Term:
    source: str
    years: int
    renewal_rule: str | None


@dataclass(frozen=True)
class Rule:
    code: str
    label: dict[str, str]
    kind: str
    actor: str
    ip_types: frozenset[str]
    offices: frozenset[str]
    legal_basis: dict[str, str]
    due: tuple[Anchor, ...] = ()
    met_by: frozenset[str] = frozenset()
    clock_stage: bool = False
    clock_start: tuple[str, ...] = ()
    optional: bool = False
    first_filing_only: bool = False
    periodic: Periodic | None = None
    on_missed: str | None = None
    term: Term | None = None

    def applies_to(self, ip_type: str, office: str) -> bool:
        return ip_type in self.ip_types and (office in self.offices or "*" in self.offices)


@dataclass(frozen=True)
class RuleTable:
    name: str
    version: str
    source: str
    rules: tuple[Rule, ...]
    category_effects: dict[str, str | None]
    key_event_effects: dict[str, str]
    terminated_default: dict[str, str]
    standards: dict[str, str]

    def for_record(self, ip_type: str, office: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.applies_to(ip_type, office)]

    def rule(self, code: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.code == code), None)

    def effect_of(self, category: str, key_event: str) -> str | None:
        """A key event's own mapping first, else its category's default."""
        return self.key_event_effects.get(key_event) or self.category_effects.get(category)

    def standard_for(self, ip_type: str) -> str:
        return self.standards.get(ip_type, "ST.27")


def _fail(where: str, problem: str) -> RuleTableError:
    return RuleTableError(f"rule table: {where}: {problem}")


def _anchor(code: str, raw: dict[str, Any]) -> Anchor:
    if raw.get("from") not in ANCHORS:
        raise _fail(code, f"unknown anchor {raw.get('from')!r}")
    return Anchor(
        source=raw["from"],
        months=int(raw.get("months", 0)) + 12 * int(raw.get("years", 0)),
        days=int(raw.get("days", 0)),
        estimate_from_rule=raw.get("estimate_from_rule"),
    )


def _periodic(code: str, raw: dict[str, Any]) -> Periodic:
    spec, payment = raw["periodic"], raw.get("payment", {})
    if spec.get("from") not in ANCHORS or spec.get("show") not in ("all", "next"):
        raise _fail(code, "periodic needs a known 'from' anchor and show 'all' or 'next'")
    return Periodic(
        source=spec["from"],
        every_years=int(spec["every_years"]),
        number_offset=int(spec.get("number_offset", 0)),
        max_count=spec.get("max_count"),
        show=spec["show"],
        requires=spec.get("requires"),
        months_before=int(payment.get("months_before", 0)),
        grace_months=int(payment.get("grace_months", 0)),
    )


def _rule(raw: dict[str, Any]) -> Rule:
    code = str(raw.get("code", "?"))
    kind, actor = raw.get("kind"), raw.get("actor")
    if kind not in KINDS or actor not in ACTORS:
        raise _fail(code, f"kind must be one of {KINDS} and actor one of {ACTORS}")
    met_by = frozenset(raw.get("met_by", []))
    if met_by - EFFECTS:
        raise _fail(code, f"unknown effects in met_by: {sorted(met_by - EFFECTS)}")
    term = raw.get("term")
    return Rule(
        code=code,
        label=dict(raw["label"]),
        kind=kind,
        actor=actor,
        ip_types=frozenset(raw["ip_types"]),
        offices=frozenset(raw["offices"]),
        legal_basis=dict(raw["legal_basis"]),
        due=tuple(_anchor(code, a) for a in raw.get("due", {}).get("latest_of", [])),
        met_by=met_by,
        clock_stage=bool(raw.get("clock_stage", False)),
        clock_start=tuple(raw.get("clock_start", [])),
        optional=bool(raw.get("optional", False)),
        first_filing_only=bool(raw.get("first_filing_only", False)),
        periodic=_periodic(code, raw) if kind == "periodic" else None,
        on_missed=raw.get("on_missed"),
        term=Term(term["from"], int(term["years"]), term.get("renewal_rule")) if term else None,
    )


def _check(rules: tuple[Rule, ...]) -> None:
    codes = [rule.code for rule in rules]
    if len(codes) != len(set(codes)):
        raise _fail("terms", "rule codes must be unique")
    for rule in rules:
        if rule.kind == "once" and not rule.due:
            raise _fail(rule.code, "a 'once' rule needs due.latest_of")
        if rule.kind == "term" and rule.term is None:
            raise _fail(rule.code, "a 'term' rule needs term")
        references = [a.estimate_from_rule for a in rule.due if a.estimate_from_rule]
        if rule.term and rule.term.renewal_rule:
            references.append(rule.term.renewal_rule)
        for ref in references:
            if ref not in codes:
                raise _fail(rule.code, f"refers to unknown rule {ref!r}")


def parse(data: dict[str, Any]) -> RuleTable:
    """Build a rule table from its JSON document, refusing anything malformed."""
    try:
        rules = tuple(_rule(raw) for raw in data["terms"])
        effects = data["event_effects"]
        key_events = {code: spec["effect"] for code, spec in effects["key_events"].items()}
        standards = {t: std for std, types in data["standards"].items() for t in types}
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, RuleTableError):
            raise
        raise _fail("document", f"missing or malformed field ({exc})") from exc
    unknown = {e for e in [*effects["categories"].values(), *key_events.values()] if e} - EFFECTS
    if unknown:
        raise _fail("event_effects", f"unknown effects {sorted(unknown)}")
    _check(rules)
    return RuleTable(
        name=str(data["name"]),
        version=str(data["version"]),
        source=str(data["source"]),
        rules=rules,
        category_effects=dict(effects["categories"]),
        key_event_effects=key_events,
        terminated_default=dict(effects["terminated_default"]),
        standards=standards,
    )


@cache
def document(path: str | None = None) -> dict[str, Any]:
    """The rule table file at ``path``, or the packaged Vietnamese one, as JSON."""
    if path:
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return data
    return vocabularies.load("ip_rules_vn")


@cache
def load(path: str | None = None) -> RuleTable:
    """The rule table at ``path``, or the packaged Vietnamese one."""
    return parse(document(path))
