"""Open data: the public sections of the operations report, as JSON and CSV, and their DCAT
description.

Only aggregate figures keyed by vocabulary codes and exchange codes leave this module: no
names, contact details or confidential text; sections an operator alone may read (sync health,
decline reasons) are not published.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.schemas.report import OpenDataIndex, OpenDataset, OperationsReport, ReportSection
from app.services.reports import operations, periods
from app.services.reports.periods import Period

LICENSE = "https://creativecommons.org/licenses/by/4.0/"
FORMATS = {"json": "application/json", "csv": "text/csv"}


class DatasetNotFound(NotFound):
    slug, title = "dataset-not-found", "No such open dataset"


def default_period(*, utc_offset_hours: int) -> Period:
    """The last closed month."""
    return periods.current(utc_offset_hours=utc_offset_hours).previous()


def public_sections(report: OperationsReport) -> list[ReportSection]:
    return [s for s in report.sections if s.public]


async def report(session: AsyncSession, period: Period) -> OperationsReport:
    built = await operations.build(session, period)
    return built.model_copy(update={"sections": public_sections(built)})


def section(report: OperationsReport, dataset: str) -> ReportSection:
    found = next((s for s in report.sections if s.id == dataset), None)
    if found is None:
        raise DatasetNotFound(f"No open dataset {dataset}")
    return found


def document(report: OperationsReport, dataset: ReportSection) -> dict[str, Any]:
    """One dataset as JSON: its rows with the period's and the previous period's figures."""
    return {
        "dataset": dataset.id,
        "period": report.period,
        "previous_period": report.previous_period,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "title": dataset.title,
        "dimension": dataset.dimension,
        "measures": dataset.measure_labels,
        "snapshot": dataset.snapshot,
        "license": LICENSE,
        "rows": [row.model_dump() for row in dataset.rows],
    }


def to_csv(report: OperationsReport, dataset: ReportSection) -> str:
    """One line per row: key, labels, then each measure and its previous-period figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["period", dataset.dimension, "label_vi", "label_en"]
    for measure in dataset.measures:
        header += [measure, f"{measure}_previous"]
    writer.writerow(header)
    for row in dataset.rows:
        line: list[Any] = [report.period, row.key, row.label.get("vi"), row.label.get("en")]
        for measure in dataset.measures:
            before = row.previous.get(measure) if row.previous is not None else None
            line += [_cell(row.current.get(measure)), _cell(before)]
        writer.writerow(line)
    return out.getvalue()


def _cell(value: Any) -> Any:
    return "" if value is None else value


def index(report: OperationsReport, *, base_url: str) -> OpenDataIndex:
    return OpenDataIndex(
        period=report.period,
        datasets=[
            OpenDataset(
                id=s.id,
                title=s.title,
                measures=s.measures,
                json_url=_url(base_url, s.id, "json", report.period),
                csv_url=_url(base_url, s.id, "csv", report.period),
            )
            for s in report.sections
        ],
    )


def _url(base_url: str, dataset: str, fmt: str, period: str | None = None) -> str:
    url = f"{base_url}api/v1/open-data/{dataset}.{fmt}"
    return f"{url}?period={period}" if period else url


def dcat_entries(
    report: OperationsReport, *, base_url: str, publisher: str
) -> list[dict[str, Any]]:
    """DCAT datasets for the catalogue: each with a JSON and a CSV distribution (latest month)."""
    return [
        {
            "@id": _url(base_url, s.id, "json"),
            "@type": ["dcat:Dataset", "dcat:Resource"],
            "id": f"open-data:{s.id}",
            "title": s.title,
            "description": {
                "vi": f"Số liệu vận hành theo tháng: {s.title['vi']}.",
                "en": f"Monthly operations figures: {s.title['en']}.",
            },
            "keywords": ["open data", "dữ liệu mở", s.dimension],
            "publisher": {"@type": "foaf:Agent", "foaf:name": publisher},
            "license": LICENSE,
            "accrual_periodicity": "http://purl.org/cld/freq/monthly",
            "distribution": [
                {
                    "@type": "dcat:Distribution",
                    "title": {
                        "vi": f"{s.title['vi']} ({fmt.upper()})",
                        "en": f"{s.title['en']} ({fmt.upper()})",
                    },
                    "access_url": _url(base_url, s.id, fmt),
                    "download_url": _url(base_url, s.id, fmt, report.period),
                    "media_type": media,
                }
                for fmt, media in FORMATS.items()
            ],
        }
        for s in report.sections
    ]
