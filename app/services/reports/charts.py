"""Server-side SVG charts of a report: plain bar charts, no script, no external asset."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from app.schemas.report import OperationsReport, ReportSection

WIDTH = 560
BAR_COLOUR = "#1f6f8b"
MUTED = "#5b6770"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _short(label: str, size: int = 26) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def hbars(title: str, items: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars: one labelled row per item (stages, exchanges, peers)."""
    row, left, top = 22, 170, 28
    height = top + row * max(1, len(items)) + 10
    peak = max((v for _, v in items), default=0) or 1
    parts = [_head(title, height)]
    for n, (label, value) in enumerate(items):
        y = top + n * row
        width = (WIDTH - left - 60) * value / peak
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" class="l">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row - 6}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {_number(value)}</title></rect>'
            f'<text x="{left + width + 4:.1f}" y="{y + 14}" class="v">{_number(value)}</text>'
        )
    if not items:
        parts.append(f'<text x="{left}" y="{top + 14}" class="l">—</text>')
    return "".join(parts) + "</svg>"


def vbars(title: str, items: Sequence[tuple[str, float]]) -> str:
    """Vertical bars along an axis (days, pendency buckets)."""
    height, top, bottom, left = 200, 28, 34, 30
    plot = height - top - bottom
    step = (WIDTH - left - 10) / max(1, len(items))
    peak = max((v for _, v in items), default=0) or 1
    every = max(1, len(items) // 16)
    parts = [_head(title, height)]
    parts.append(f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" class="v">')
    parts.append(f"{_number(peak)}</text>")
    for n, (label, value) in enumerate(items):
        bar = plot * value / peak
        x = left + n * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot - bar:.1f}" width="{max(1.0, step - 2):.1f}" '
            f'height="{bar:.1f}" fill="{BAR_COLOUR}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        if n % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                f'class="l">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - 10}" y2="{top + plot}" '
        f'stroke="{MUTED}"/>'
    )
    return "".join(parts) + "</svg>"


def _head(title: str, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<style>.l{{font:11px sans-serif;fill:{MUTED}}}.v{{font:11px sans-serif;fill:#222}}"
        f".t{{font:bold 13px sans-serif;fill:#222}}</style>"
        f'<text x="0" y="16" class="t">{escape(title)}</text>'
    )


def _section(report: OperationsReport, section_id: str) -> ReportSection:
    return next(s for s in report.sections if s.id == section_id)


def _series(
    report: OperationsReport, section_id: str, measure: str, lang: str
) -> list[tuple[str, float]]:
    section = _section(report, section_id)
    return [
        (row.label.get(lang, row.key), float(row.current.get(measure) or 0)) for row in section.rows
    ]


def _funnel(report: OperationsReport, lang: str) -> list[tuple[str, float]]:
    section = _section(report, "initiatives")
    row = section.rows[0]
    return [(section.measure_labels[m][lang], float(row.current[m] or 0)) for m in section.measures]


def charts(report: OperationsReport, lang: str = "vi") -> dict[str, str]:
    """The report's charts as SVG documents, by name."""
    vi = lang == "vi"
    days = _series(report, "submissions_by_day", "submitted", lang)
    return {
        "submissions_per_day": vbars(
            "Sáng kiến tiếp nhận theo ngày" if vi else "Submissions per day",
            [(str(n + 1), v) for n, (_, v) in enumerate(days)],
        ),
        "stage_funnel": hbars("Phễu giai đoạn" if vi else "Stage funnel", _funnel(report, lang)),
        "ip_pendency": vbars(
            "Thời gian chờ của đơn SHTT (tháng)" if vi else "IP pendency (months)",
            _series(report, "ip_pendency", "pending", lang),
        ),
        "listings_per_exchange": hbars(
            "Tin công nghệ theo sàn" if vi else "Listings per exchange",
            _series(report, "listings_by_exchange", "held", lang),
        ),
        "sync_lag": hbars(
            "Độ trễ đồng bộ (giây)" if vi else "Sync lag per peer (seconds)",
            _series(report, "sync_health", "lag_seconds", lang),
        ),
    }
