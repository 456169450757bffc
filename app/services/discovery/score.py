"""The commercial-potential score: components worth their configured weight, summed.

Each component is a signal in [0, 1] times its weight; the points are rounded to two decimals
and the score is their sum, so the components a client sees always add up to the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.config import DiscoverySettings

COMPONENTS = ("readiness", "ip", "market", "reviews", "traction")


@dataclass(frozen=True)
class Signal:
    """One component's strength in [0, 1] and the facts it was computed from."""

    value: float
    facts: dict[str, Any] = field(default_factory=dict)
    formula: str = ""


@dataclass(frozen=True)
class Component:
    name: str
    weight: float
    value: float
    points: float
    facts: dict[str, Any]
    formula: str


@dataclass(frozen=True)
class Score:
    total: float
    components: list[Component]


def weights(settings: DiscoverySettings) -> dict[str, float]:
    return {name: float(getattr(settings, f"weight_{name}")) for name in COMPONENTS}


def combine(signals: dict[str, Signal], settings: DiscoverySettings) -> Score:
    """The score of one item from its signals (a missing signal counts 0)."""
    parts: list[Component] = []
    for name, weight in weights(settings).items():
        signal = signals.get(name, Signal(0.0))
        value = min(1.0, max(0.0, signal.value))
        points = round(weight * value, 2)
        parts.append(Component(name, weight, round(value, 4), points, signal.facts, signal.formula))
    return Score(total=round(sum(p.points for p in parts), 2), components=parts)


def readiness(trl: int | None) -> Signal:
    """Technology readiness: TRL 9 is full, an unknown TRL counts nothing."""
    if trl is None:
        return Signal(0.0, {"trl": None}, "no TRL given")
    return Signal(trl / 9, {"trl": trl}, "trl / 9")


def saturating(count: int, saturation: int, facts: dict[str, Any], what: str) -> Signal:
    """``count`` against the count at which the component is full."""
    return Signal(min(1.0, count / saturation), facts, f"min(1, {what} / {saturation})")


def reviews(average: float | None, count: int) -> Signal:
    """The mean rubric score (1-5) of published initiatives, scaled to [0, 1]."""
    if average is None or count == 0:
        return Signal(0.0, {"reviews": 0}, "no published review scores")
    facts = {"reviews": count, "average": round(average, 2)}
    return Signal((average - 1) / 4, facts, "(average - 1) / 4")
