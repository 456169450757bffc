"""Wire models of the statutory clock and the pendency statistics."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ClockStageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule: str
    label: dict[str, str]
    status: Literal["done", "running", "stopped", "waiting"] = Field(
        description="waiting: the stage has not started (e.g. no examination request yet)"
    )
    started_on: date | None
    ended_on: date | None
    due_date: date | None
    statutory_days: int | None
    elapsed_days: int | None
    overdue: bool = Field(description="The office took, or is taking, longer than the law allows")


class IpClockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: uuid.UUID
    as_of: date
    pending: bool
    filed_on: date
    decided_on: date | None
    elapsed_days: int = Field(description="From filing to the decision, or to as_of if pending")
    statutory_days: int | None = Field(
        description="From filing to the last office deadline, when every stage has started"
    )
    overdue: bool = Field(description="Some office stage is or was late")
    stages: list[ClockStageRead]


class IpStatsGroup(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ip_type: str
    office: str
    year: int = Field(description="Filing year")
    applications: int
    pending: int
    median_days: float = Field(description="Median pendency: filing to decision, or to as_of")
    p90_days: int = Field(description="90th percentile pendency (nearest rank)")
    overdue: int
    share_overdue: float = Field(description="overdue / applications, four decimals")


class IpStats(BaseModel):
    as_of: date
    groups: list[IpStatsGroup]
