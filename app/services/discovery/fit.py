"""How well two records fit, component by component: pure functions returning points and the
reason a reader is shown. A match's score (0-100) is the sum of its components' points."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

# Points of each component at its best: what the records say weighs most, the rest refines.
WEIGHTS = {
    "text": 55.0,
    "strategic_group": 15.0,
    "field": 10.0,
    "trl": 8.0,
    "province": 4.0,
    "deal": 8.0,
}
LABELS = {
    "text": ("Nội dung tương đồng", "Similar content"),
    "strategic_group": ("Cùng nhóm công nghệ chiến lược", "Same strategic technology group"),
    "field": ("Cùng lĩnh vực KH&CN", "Same S&T field"),
    "trl": ("Mức sẵn sàng công nghệ phù hợp", "Technology readiness fits"),
    "province": ("Cùng tỉnh/thành", "Same province"),
    "deal": ("Hình thức giao dịch phù hợp", "Deal terms fit"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    points: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> dict[str, str]:
        vi, en = LABELS[self.code]
        return {"vi": vi, "en": en}


def points(code: str, value: float) -> float:
    return round(WEIGHTS[code] * max(0.0, min(1.0, value)), 2)


def text(similarity: float, terms: list[str]) -> Reason:
    # Similarities of related records rarely pass 0.5: that counts in full.
    return Reason(
        "text",
        points("text", similarity * 2),
        {"similarity": round(similarity, 3), "shared_terms": terms},
    )


def group(mine: str | None, theirs: Collection[str]) -> Reason:
    """Full when the group is one the other side names; half when it names none."""
    if not theirs:
        return Reason("strategic_group", points("strategic_group", 0.5), {"any": True})
    hit = mine is not None and mine in theirs
    return Reason(
        "strategic_group", points("strategic_group", 1.0 if hit else 0.0), {"strategic_group": mine}
    )


def st_field(mine: str | None, theirs: Collection[str]) -> Reason:
    """Full for the same field (or a level-1 code covering it), half for the same level 1."""
    if mine is None or not theirs:
        return Reason("field", 0.0, {"st_field": mine})
    if mine in theirs or mine[:1] in theirs:
        value = 1.0
    elif any(code[:1] == mine[:1] for code in theirs):
        value = 0.5
    else:
        value = 0.0
    return Reason("field", points("field", value), {"st_field": mine})


def trl(have: int | None, low: int | None, high: int | None) -> Reason:
    """Full inside [low, high]; a quarter less for each level outside."""
    if have is None or (low is None and high is None):
        return Reason("trl", points("trl", 0.5), {"trl": have})
    gap = max((low or 1) - have, have - (high or 9), 0)
    return Reason("trl", points("trl", 1 - 0.25 * gap), {"trl": have, "wanted": [low, high]})


def province(mine: str | None, theirs: Collection[str]) -> Reason:
    if not theirs:
        return Reason("province", points("province", 0.5), {"any": True})
    hit = mine is not None and mine in theirs
    return Reason("province", points("province", 1.0 if hit else 0.0), {"province": mine})


def transactions(mine: Collection[str], theirs: Collection[str]) -> Reason:
    common = sorted(set(mine) & set(theirs))
    value = 1.0 if common else (0.5 if not mine or not theirs else 0.0)
    return Reason("deal", points("deal", value), {"transaction_types": common})


def funding(
    state: str, stages: Collection[str], amount: int | None, low: int | None, high: int | None
) -> Reason:
    """A fund's terms: the initiative's stage is one it invests at, the funding sought fits
    its ticket (the ticket itself is never shown)."""
    stage_ok = not stages or state in stages
    ticket_ok = amount is None or (
        (low is None or amount >= low) and (high is None or amount <= high)
    )
    value = 0.5 * stage_ok + 0.5 * ticket_ok
    return Reason("deal", points("deal", value), {"stage": stage_ok, "ticket": ticket_ok})


def total(reasons: list[Reason]) -> float:
    return round(sum(r.points for r in reasons), 2)
