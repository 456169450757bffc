"""Wire models of the operations report and the open data drawn from it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Figure = int | float | None


class ReportRow(BaseModel):
    key: str = Field(description="The row's code (a strategic group, a province, a stage...)")
    label: dict[str, str] = Field(description="vi/en label of the key")
    current: dict[str, Figure] = Field(description="measure -> figure for the period")
    previous: dict[str, Figure] | None = Field(
        description="measure -> figure for the previous period; null for snapshot sections"
    )


class ReportSection(BaseModel):
    id: str
    title: dict[str, str]
    dimension: str = Field(description="What the rows are keyed by")
    measures: list[str]
    measure_labels: dict[str, dict[str, str]]
    snapshot: bool = Field(
        description="Read from current state (no history is kept), not from the period's records"
    )
    public: bool = Field(description="Part of the open data")
    rows: list[ReportRow]


class OperationsReport(BaseModel):
    period: str = Field(examples=["2026-04", "2026-Q2"])
    kind: Literal["month", "quarter"]
    start: datetime = Field(description="First instant of the period (local time of the service)")
    end: datetime = Field(description="First instant after the period")
    previous_period: str
    generated_at: datetime
    sections: list[ReportSection]


class OpenDataset(BaseModel):
    id: str
    title: dict[str, str]
    measures: list[str]
    json_url: str
    csv_url: str


class OpenDataIndex(BaseModel):
    period: str
    datasets: list[OpenDataset]


class DashboardTile(BaseModel):
    id: str
    label: dict[str, str]
    value: int | None


class DashboardEvent(BaseModel):
    at: datetime
    initiative_id: uuid.UUID
    title: dict[str, str]
    from_state: str | None
    to_state: str
    label: dict[str, str] = Field(description="vi/en label of the state entered")


class Dashboard(BaseModel):
    generated_at: datetime
    period: str = Field(description="The current month, which the charts show")
    tiles: list[DashboardTile]
    events: list[DashboardEvent]


class PublicCounts(BaseModel):
    published_initiatives: int
    active_listings: int
    exchanges: int
