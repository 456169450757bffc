"""The printed table and the JSON record of a run."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.config import PROJECT_ROOT, BenchConfig
from bench.load import RunResult
from bench.registry import CEILINGS, Probe, Workload
from bench.runner import Measured, Measurements, SingleClient


@dataclass(frozen=True)
class Figure:
    """Medians over the rounds of one probe."""

    unit: str
    rate: float
    p50: float
    p95: float
    p99: float
    completed: int
    errors: int
    # p95 of the run with a single client: the latency of one request, without queueing.
    single_p95: float | None = None

    @classmethod
    def of(cls, probe: Probe, runs: list[RunResult], single: RunResult | None = None) -> Figure:
        return cls(
            unit=probe.unit,
            rate=statistics.median(run.rate for run in runs),
            p50=statistics.median(run.percentile(0.50) for run in runs),
            p95=statistics.median(run.percentile(0.95) for run in runs),
            p99=statistics.median(run.percentile(0.99) for run in runs),
            completed=int(statistics.median(run.completed for run in runs)),
            errors=sum(run.errors for run in runs) + (single.errors if single else 0),
            single_p95=single.percentile(0.95) if single is not None else None,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "rate": round(self.rate, 1),
            "p50_ms": round(self.p50 * 1000, 3),
            "p95_ms": round(self.p95 * 1000, 3),
            "p99_ms": round(self.p99 * 1000, 3),
            "single_client_p95_ms": (
                None if self.single_p95 is None else round(self.single_p95 * 1000, 3)
            ),
            "completed": self.completed,
            "errors": self.errors,
        }

    def text(self) -> str:
        return (
            f"{self.rate:>8,.0f} {self.unit}  p50 {self.p50 * 1000:6.2f}"
            f"  p95 {self.p95 * 1000:6.2f}  p99 {self.p99 * 1000:6.2f} ms"
        )

    def single_text(self) -> str:
        return "" if self.single_p95 is None else f"{self.single_p95 * 1000:7.2f} ms"


def paired_ratio(service: list[RunResult], ceiling: list[RunResult]) -> float:
    """Median of the per-round throughput ratios.

    A workload and its ceiling run back to back in each round, so drift of the machine between
    rounds (±30% is usual) cancels out of each ratio before the median is taken.
    """
    pairs = [s.rate / c.rate for s, c in zip(service, ceiling, strict=True) if c.rate > 0]
    return statistics.median(pairs) if pairs else math.nan


@dataclass(frozen=True)
class Row:
    workload: str
    figure: Figure
    ceiling: str
    ceiling_figure: Figure
    ratio: float


def comparisons(
    workloads: list[Workload], runs: Measurements, single: SingleClient | None = None
) -> list[Row]:
    single = single or {}
    rows = []
    for item in workloads:
        figure = Figure.of(item, runs[item.name], single.get(item.name))
        for name in item.ceilings:
            ceiling = CEILINGS[name]
            rows.append(
                Row(
                    item.name,
                    figure,
                    name,
                    Figure.of(ceiling, runs[name], single.get(name)),
                    paired_ratio(runs[item.name], runs[name]),
                )
            )
    return rows


def ratio_text(ratio: float) -> str:
    # Three decimals keep a 0.012× ceiling gap readable; below 0.001×, significant digits.
    return f"{ratio:.3f}×" if ratio >= 0.001 or math.isnan(ratio) else f"{ratio:.2g}×"


HEADER = ("workload", "figure", "ceiling", "ceiling figure", "ratio")
TABLE_HEADER = (
    "workload",
    "figure",
    "1 client p95",
    "ceiling",
    "ceiling figure",
    "1 client p95",
    "ratio",
)


def render_table(rows: list[Row]) -> str:
    """Each workload's figure (with its clients, and its p95 with one client) beside each of its
    ceilings' and the throughput ratio."""
    cells: list[tuple[str, ...]] = []
    previous = None
    for row in rows:
        # A workload with several ceilings is named once, its figure on its first line only.
        first = row.workload != previous
        previous = row.workload
        cells.append(
            (
                row.workload if first else "",
                row.figure.text() if first else "",
                row.figure.single_text() if first else "",
                row.ceiling,
                row.ceiling_figure.text(),
                row.ceiling_figure.single_text(),
                ratio_text(row.ratio),
            )
        )
    return render_cells(cells, header=TABLE_HEADER)


def render_cells(cells: Sequence[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    """A comparison table: a workload and its figure, a ceiling and its figure, the ratio
    (right-aligned, last)."""
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    last = len(header) - 1

    def line(values: tuple[str, ...]) -> str:
        padded = [
            v.rjust(w) if i == last else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return " | ".join(padded).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(values) for values in cells)])


def preamble(
    config: BenchConfig, database: str, loop: str, pinned: int | None, runs: Measurements
) -> list[str]:
    client = "raw HTTP/1.1 keep-alive" if config.client == "raw" else "httpx.AsyncClient"
    placement = f"pinned to CPU {pinned}" if pinned is not None else "not pinned"
    workers = f"{config.workers} uvicorn worker{'s' if config.workers > 1 else ''}"
    completed = ", ".join(
        f"{name} {int(statistics.median(r.completed for r in results)):,}"
        for name, results in runs.items()
    )
    return [
        f"database:    {database}",
        f"servers:     techx and the minimal app, {workers} each, on {os.cpu_count()} CPUs",
        f"clients:     {config.concurrency} concurrent connections, {client}, {loop}, {placement}",
        f"each run:    up to {config.requests:,} requests or {config.max_seconds:g} s;"
        f" medians of {config.rounds} interleaved rounds after a warm-up",
        f"completed:   {completed} (median per run)",
        "ratio:       service / ceiling throughput, paired within each round",
    ]


def error_notes(runs: Measurements) -> list[str]:
    notes = []
    for name, results in runs.items():
        failed = sum(r.errors for r in results)
        if failed:
            first = next(r.first_error for r in results if r.first_error)
            notes.append(f"! {name}: {failed} failed requests over {len(results)} runs; {first}")
    return notes


def _git_revision() -> str | None:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


# Request-overhead workloads: beside the minimal endpoint, their p99 too (goal: within 2x).
HOT_PATHS = ("users-me", "listing-by-id")


def tail_lines(rows: list[Row]) -> list[str]:
    """The tail latency of the hot paths beside the minimal endpoint's."""
    lines = []
    for row in rows:
        if row.workload in HOT_PATHS and row.ceiling == "minimal-endpoint":
            p99, ceiling = row.figure.p99, row.ceiling_figure.p99
            lines.append(
                f"{row.workload} p99 {p99 * 1000:.2f} ms, minimal endpoint"
                f" {ceiling * 1000:.2f} ms: {p99 / ceiling:.2f}x"
            )
    return ["", *lines] if lines else []


def section(label: str, rows: list[Row], measured: Measured) -> dict[str, object]:
    """One database's part of the JSON record."""
    return {
        "database": label,
        "comparisons": [
            {
                "workload": row.workload,
                "ceiling": row.ceiling,
                "ratio": None if math.isnan(row.ratio) else round(row.ratio, 4),
                "figure": row.figure.as_dict(),
                "ceiling_figure": row.ceiling_figure.as_dict(),
            }
            for row in rows
        ],
        "runs": {
            name: [run.as_dict() for run in results] for name, results in measured.runs.items()
        },
        "single_client": {name: run.as_dict() for name, run in measured.single.items()},
    }


def write_json(
    path: Path,
    config: BenchConfig,
    sections: list[dict[str, object]],
    extra: dict[str, object] | None = None,
) -> None:
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": _git_revision(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        "databases": sections,
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
