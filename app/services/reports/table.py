"""Building blocks of a report section: labels, figures for two periods, percentiles."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from app.schemas.report import Figure, ReportRow, ReportSection
from app.vocabularies import load

Counts = dict[str, dict[str, Figure]]  # key -> measure -> figure

UNKNOWN = "unknown"
_UNKNOWN_LABEL = {"vi": "Không xác định", "en": "Unknown"}


def vocabulary_label(vocabulary: str) -> Callable[[str], dict[str, str]]:
    """The vi/en label of a code of ``vocabulary`` (the code itself when it has none)."""

    def label(code: str) -> dict[str, str]:
        if code == UNKNOWN:
            return dict(_UNKNOWN_LABEL)
        for term in load(vocabulary)["terms"]:
            if term["code"] == code:
                return dict(term["label"])
        return {"vi": code, "en": code}

    return label


def same_label(code: str) -> dict[str, str]:
    return {"vi": code, "en": code}


@dataclass
class Table:
    """One section under construction: figures keyed by row, for this and the previous period."""

    id: str
    title: dict[str, str]
    dimension: str
    measures: dict[str, dict[str, str]]  # measure -> vi/en label, in order
    label: Callable[[str], dict[str, str]] = same_label
    snapshot: bool = False
    public: bool = True
    current: Counts = field(default_factory=dict)
    previous: Counts = field(default_factory=dict)
    order: list[str] | None = None  # fixed row order (e.g. stages); else sorted keys

    def section(self) -> ReportSection:
        keys = (
            self.order if self.order is not None else sorted(set(self.current) | set(self.previous))
        )
        return ReportSection(
            id=self.id,
            title=self.title,
            dimension=self.dimension,
            measures=list(self.measures),
            measure_labels=self.measures,
            snapshot=self.snapshot,
            public=self.public,
            rows=[self._row(key) for key in keys],
        )

    def _row(self, key: str) -> ReportRow:
        def filled(values: Mapping[str, Figure] | None) -> dict[str, Figure]:
            values = values or {}
            return {m: values.get(m, 0) for m in self.measures}

        return ReportRow(
            key=key,
            label=self.label(key),
            current=filled(self.current.get(key)),
            previous=None if self.snapshot else filled(self.previous.get(key)),
        )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with ``share`` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def spread(values: Iterable[float]) -> dict[str, Figure]:
    """Median and 90th percentile of durations in days, two decimals (null without samples)."""
    items = list(values)
    if not items:
        return {"median_days": None, "p90_days": None}
    return {
        "median_days": round(float(statistics.median(items)), 2),
        "p90_days": round(percentile(items, 0.9), 2),
    }


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
