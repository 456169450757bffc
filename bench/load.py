"""The closed-loop load driver: N clients, each sending its next request when the last answers."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from bench.registry import Operation, OperationFactory

# A probe that keeps failing is not measuring anything: stop the run early and report it.
MAX_ERRORS = 100


@dataclass
class RunResult:
    probe: str
    completed: int
    errors: int
    elapsed: float
    latencies: list[float] = field(repr=False)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        """Successful operations per second."""
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, q: float) -> float:
        """Latency in seconds at quantile ``q`` (nearest rank); NaN without samples."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    def as_dict(self) -> dict[str, object]:
        return {
            "completed": self.completed,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 4),
            "rate": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50) * 1000, 3),
            "p95_ms": round(self.percentile(0.95) * 1000, 3),
            "p99_ms": round(self.percentile(0.99) * 1000, 3),
            "first_error": self.first_error,
        }


async def _open_all(factory: OperationFactory, count: int) -> list[Operation]:
    opened = await asyncio.gather(*(factory() for _ in range(count)), return_exceptions=True)
    operations = [item for item in opened if not isinstance(item, BaseException)]
    failures = [item for item in opened if isinstance(item, BaseException)]
    if failures:
        await asyncio.gather(*(op.aclose() for op in operations), return_exceptions=True)
        raise failures[0]
    return operations


async def run_closed_loop(
    probe: str,
    factory: OperationFactory,
    *,
    concurrency: int,
    requests: int,
    max_seconds: float,
) -> RunResult:
    """Run ``concurrency`` clients until ``requests`` are sent or ``max_seconds`` pass."""
    operations = await _open_all(factory, concurrency)
    clock = time.perf_counter
    budget = requests
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None
    deadline = math.inf

    async def client(operation: Operation) -> None:
        nonlocal budget, errors, first_error
        while budget > 0 and errors < MAX_ERRORS and clock() < deadline:
            budget -= 1
            started = clock()
            try:
                await operation()
            except Exception as exc:  # counted and reported; one failure must not end the run
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
            else:
                latencies.append(clock() - started)

    try:
        started = clock()
        deadline = started + max_seconds
        await asyncio.gather(*(client(op) for op in operations))
        elapsed = clock() - started
    finally:
        await asyncio.gather(*(op.aclose() for op in operations), return_exceptions=True)
    return RunResult(probe, len(latencies), errors, elapsed, latencies, first_error)
