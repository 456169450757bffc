"""The printed table and the JSON record of a run."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.config import PROJECT_ROOT, BenchConfig
from bench.load import RunResult
from bench.registry import CEILINGS, Probe, Workload
from bench.runner import Measurements


@dataclass(frozen=True)
class Figure:
    """Medians over the rounds of one probe."""

    unit: str
    rate: float
    p50: float
    p95: float
    completed: int
    errors: int

    @classmethod
    def of(cls, probe: Probe, runs: list[RunResult]) -> Figure:
        return cls(
            unit=probe.unit,
            rate=statistics.median(run.rate for run in runs),
            p50=statistics.median(run.percentile(0.50) for run in runs),
            p95=statistics.median(run.percentile(0.95) for run in runs),
            completed=int(statistics.median(run.completed for run in runs)),
            errors=sum(run.errors for run in runs),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "rate": round(self.rate, 1),
            "p50_ms": round(self.p50 * 1000, 3),
            "p95_ms": round(self.p95 * 1000, 3),
            "completed": self.completed,
            "errors": self.errors,
        }

    def text(self) -> str:
        return (
            f"{self.rate:>8,.0f} {self.unit}  p50 {self.p50 * 1000:6.2f}"
            f"  p95 {self.p95 * 1000:6.2f} ms"
        )


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


def comparisons(workloads: list[Workload], runs: Measurements) -> list[Row]:
    rows = []
    for item in workloads:
        figure = Figure.of(item, runs[item.name])
        for name in item.ceilings:
            ceiling = CEILINGS[name]
            rows.append(
                Row(
                    item.name,
                    figure,
                    name,
                    Figure.of(ceiling, runs[name]),
                    paired_ratio(runs[item.name], runs[name]),
                )
            )
    return rows


def ratio_text(ratio: float) -> str:
    # Three decimals keep a 0.012× ceiling gap readable; below 0.001×, significant digits.
    return f"{ratio:.3f}×" if ratio >= 0.001 or math.isnan(ratio) else f"{ratio:.2g}×"


HEADER = ("workload", "figure", "ceiling", "ceiling figure", "ratio")


def render_table(rows: list[Row]) -> str:
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
                row.ceiling,
                row.ceiling_figure.text(),
                ratio_text(row.ratio),
            )
        )
    return render_cells(cells)


def render_cells(cells: list[tuple[str, ...]]) -> str:
    """The comparison table: a workload and its figure, a ceiling and its figure, the ratio."""
    widths = [max(len(line[i]) for line in [HEADER, *cells]) for i in range(len(HEADER))]

    def line(values: tuple[str, ...]) -> str:
        padded = [
            v.rjust(w) if i == 4 else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return " | ".join(padded).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(HEADER), rule, *(line(values) for values in cells)])


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


def write_json(
    path: Path,
    config: BenchConfig,
    database: str,
    rows: list[Row],
    runs: Measurements,
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
        "database": database,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
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
        "runs": {name: [run.as_dict() for run in results] for name, results in runs.items()},
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
