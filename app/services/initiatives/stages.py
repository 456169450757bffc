"""Workflow stages and their target durations, read from ``vocabularies/workflow_stages.json``
so operators change them without code."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models.base import utcnow
from app.vocabularies import load


def target_days(stage: str) -> int | None:
    """The stage's target duration in days; ``None`` for stages without one."""
    for term in load("workflow_stages")["terms"]:
        if term["code"] == stage:
            days = term.get("target_days")
            return int(days) if days is not None else None
    return None


def is_overdue(stage: str, entered_at: datetime, *, left_at: datetime | None = None) -> bool:
    """Whether the stage ran (or has been running) longer than its target."""
    days = target_days(stage)
    if days is None:
        return False
    return (left_at or utcnow()) - entered_at > timedelta(days=days)


def label(stage: str) -> dict[str, str]:
    """The stage's vi/en label (the code itself for an unknown stage)."""
    for term in load("workflow_stages")["terms"]:
        if term["code"] == stage:
            return dict(term["label"])
    return {"vi": stage, "en": stage}
