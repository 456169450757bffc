"""Settings of one benchmark run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

# Every server, client and database the harness touches is on loopback: a benchmark must never
# load, create or drop anything on another machine by accident.
LOOPBACK = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

DatabaseKind = Literal["sqlite", "postgres"]
ClientKind = Literal["raw", "httpx"]


class BenchError(Exception):
    """A failure the harness explains in one line (no traceback)."""


@dataclass(frozen=True)
class BenchConfig:
    database: DatabaseKind = "sqlite"
    # Where the request workloads run, in turn (the harness's own option: both by default).
    databases: tuple[DatabaseKind, ...] = ("sqlite",)
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL
    concurrency: int = 16
    # Each measured run stops at whichever bound comes first, so a slow workload cannot stretch
    # the whole benchmark and a fast one still gets enough samples.
    requests: int = 10_000
    max_seconds: float = 8.0
    rounds: int = 3
    warmup_requests: int = 500
    warmup_seconds: float = 1.0
    workers: int = 1
    # Federation (always on PostgreSQL): listings pushed per round, changes harvested once.
    push_listings: int = 10_000
    harvest_changes: int = 100_000
    client: ClientKind = "raw"
    pin: bool = True
    only: tuple[str, ...] = ()
    json_path: Path | None = None

    def quick(self) -> BenchConfig:
        """A smoke run: every probe exercised, still three rounds, a few seconds each."""
        return replace(
            self,
            requests=500,
            max_seconds=1.5,
            warmup_requests=100,
            warmup_seconds=0.5,
            push_listings=1_000,
            harvest_changes=5_000,
        )
