"""IP strength from the live legal status of the rights linked to an item: pure functions.

The strongest live right counts (in force above granted above an application under
examination, published or merely filed), scaled by the protection term it has left; each
further territory it is live in adds a little; every right that ended (lapsed, expired, revoked,
refused or withdrawn) takes some away, down to nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.services.discovery.score import Signal
from app.services.ip.domain import ENDED

BASE = {
    "in_force": 1.0,
    "granted": 0.85,
    "under_examination": 0.45,
    "published": 0.35,
    "pending": 0.25,
    "lapsed_restorable": 0.15,
}
GRANTED = frozenset({"in_force", "granted"})
TERRITORY_BONUS = 0.1
MAX_TERRITORY_BONUS = 0.2
ENDED_PENALTY = 0.2


@dataclass(frozen=True)
class RightFacts:
    """What the score reads of one right: its live status, term, fees and territory."""

    ip_type: str
    jurisdiction: str
    summary: str
    term_end: date | None
    fees_paid: int


def _strength(right: RightFacts, today: date, full_term_years: float) -> float:
    base = BASE.get(right.summary, 0.0)
    if right.summary not in GRANTED or right.term_end is None:
        return base
    years_left = max(0.0, (right.term_end - today).days / 365.25)
    return base * (0.6 + 0.4 * min(1.0, years_left / full_term_years))


def _years_left(right: RightFacts, today: date) -> float | None:
    if right.term_end is None:
        return None
    return round(max(0.0, (right.term_end - today).days / 365.25), 1)


def _describe(right: RightFacts, today: date) -> dict[str, object]:
    return {
        "ip_type": right.ip_type,
        "jurisdiction": right.jurisdiction,
        "status": right.summary,
        "years_left": _years_left(right, today),
        "fees_paid": right.fees_paid,
    }


def strength(rights: Sequence[RightFacts], *, today: date, full_term_years: float) -> Signal:
    """The IP component's signal for the rights of one item."""
    if not rights:
        return Signal(0.0, {"rights": []}, "no linked IP right")
    live = [r for r in rights if r.summary not in ENDED]
    ended = [r for r in rights if r.summary in ENDED]
    best = max((_strength(r, today, full_term_years) for r in live), default=0.0)
    territories = sorted({r.jurisdiction for r in live if r.summary in GRANTED})
    bonus = min(MAX_TERRITORY_BONUS, TERRITORY_BONUS * max(0, len(territories) - 1))
    value = max(0.0, min(1.0, best + bonus) - ENDED_PENALTY * len(ended))
    facts = {
        "rights": [_describe(r, today) for r in rights],
        "best_live_right": round(best, 4),
        "granted_territories": territories,
        "ended_rights": len(ended),
    }
    formula = (
        "best live right (status base x (0.6 + 0.4 x term left)) "
        f"+ {TERRITORY_BONUS} per further granted territory (at most {MAX_TERRITORY_BONUS}) "
        f"- {ENDED_PENALTY} per ended right"
    )
    return Signal(value, facts, formula)
