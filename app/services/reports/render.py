"""The report as CSV, XLSX and HTML: the same figures as the JSON, one row per figure in CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from jinja2 import Environment, PackageLoader, select_autoescape
from openpyxl import Workbook

from app.schemas.report import Figure, OperationsReport
from app.services.reports import charts

CSV_HEADER = (
    "section",
    "dimension",
    "key",
    "label_vi",
    "label_en",
    "measure",
    "current",
    "previous",
)
SNAPSHOT_NOTE = {
    "vi": "Ảnh chụp trạng thái hiện tại (không lưu lịch sử)",
    "en": "Current state (no history is kept)",
}

_templates = Environment(
    loader=PackageLoader("app.services.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def figures(report: OperationsReport) -> Iterator[tuple[str | Figure, ...]]:
    """Every figure of the report as (section, dimension, key, labels, measure, now, before)."""
    for section in report.sections:
        for row in section.rows:
            for measure in section.measures:
                before = row.previous.get(measure) if row.previous is not None else None
                yield (
                    section.id,
                    section.dimension,
                    row.key,
                    row.label.get("vi", row.key),
                    row.label.get("en", row.key),
                    measure,
                    row.current.get(measure),
                    before,
                )


def to_csv(report: OperationsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in figures(report):
        writer.writerow(["" if v is None else v for v in line])
    return out.getvalue()


def to_xlsx(report: OperationsReport) -> bytes:
    """A workbook: ``figures`` (the CSV's rows) and one sheet per section, measures across."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "figures"
    sheet.append(CSV_HEADER)
    for line in figures(report):
        sheet.append(list(line))
    for n, section in enumerate(report.sections, start=1):
        page = book.create_sheet(f"{n:02d} {section.id}"[:31])
        header = [section.dimension, "label"]
        for measure in section.measures:
            header += [measure, f"{measure} ({report.previous_period})"]
        page.append(header)
        for row in section.rows:
            cells: list[str | Figure] = [row.key, row.label.get("vi", row.key)]
            for measure in section.measures:
                before = row.previous.get(measure) if row.previous is not None else None
                cells += [row.current.get(measure), before]
            page.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_html(report: OperationsReport, *, lang: str = "vi") -> str:
    template = _templates.get_template("report.html")
    return template.render(
        report=report,
        lang=lang,
        charts=charts.charts(report, lang),
        snapshot_note=SNAPSHOT_NOTE,
        show=_show,
    )


def _show(value: Figure) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{value:,.0f}"
