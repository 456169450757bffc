"""Rounds: warm every probe up, then measure workloads and their ceilings interleaved, N times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.affinity import pin_harness
from bench.config import BenchError
from bench.environment import Environment
from bench.load import RunResult, run_closed_loop
from bench.registry import OperationFactory, Probe, Workload, ceilings_of

# Probe name -> one result per round, in round order.
Measurements = dict[str, list[RunResult]]
# Probe name -> its run with one client (latency without queueing behind other clients).
SingleClient = dict[str, RunResult]
Progress = Callable[[str], None]


@dataclass
class Measured:
    runs: Measurements = field(default_factory=dict)
    single: SingleClient = field(default_factory=dict)


def schedule(workloads: list[Workload]) -> list[Probe]:
    """Each workload followed by its ceilings not yet scheduled, so that pairs run back to back."""
    order: list[Probe] = []
    seen: set[str] = set()
    for item in workloads:
        for probe in (item, *ceilings_of(item)):
            if probe.name not in seen:
                seen.add(probe.name)
                order.append(probe)
    return order


async def _run(
    env: Environment,
    probe: Probe,
    factory: OperationFactory,
    *,
    warmup: bool,
    concurrency: int | None = None,
) -> RunResult:
    config = env.config
    return await run_closed_loop(
        probe.name,
        factory,
        concurrency=concurrency or config.concurrency,
        requests=config.warmup_requests if warmup else config.requests,
        max_seconds=config.warmup_seconds if warmup else config.max_seconds,
    )


def _line(label: str, probe: Probe, result: RunResult) -> str:
    return (
        f"{label}  {probe.name:<18} {result.rate:>9,.0f} {probe.unit}"
        f"  p50 {result.percentile(0.5) * 1000:6.2f} ms"
        f"  p95 {result.percentile(0.95) * 1000:6.2f} ms"
        f"  ({result.completed:,} in {result.elapsed:.1f} s"
        + (f", {result.errors} errors" if result.errors else "")
        + ")"
    )


async def measure(env: Environment, workloads: list[Workload], progress: Progress) -> Measured:
    """Prepare, warm up and measure every probe the workloads need: results per round with the
    run's clients, then one run of each probe with a single client."""
    order = schedule(workloads)
    factories: dict[str, OperationFactory] = {}
    for probe in order:
        progress(f"preparing {probe.name}")
        factories[probe.name] = await probe.prepare(env)

    # Pinned only now: the servers started above, and any started later, are not.
    if env.config.pin:
        cpu = pin_harness()
        progress(f"harness pinned to CPU {cpu}" if cpu is not None else "harness not pinned")

    # The warm-up fills pools and caches, and doubles as a check: a probe that cannot answer
    # cleanly (a 401, a missing row) stops the run here instead of printing a meaningless figure.
    for probe in order:
        result = await _run(env, probe, factories[probe.name], warmup=True)
        if result.errors or not result.completed:
            raise BenchError(f"{probe.name} fails during warm-up: {result.first_error}")

    runs: Measurements = {probe.name: [] for probe in order}
    rounds = env.config.rounds
    for index in range(rounds):
        # Alternate the direction so that no probe always runs first or last in a round.
        sequence = order if index % 2 == 0 else order[::-1]
        for probe in sequence:
            result = await _run(env, probe, factories[probe.name], warmup=False)
            runs[probe.name].append(result)
            progress(_line(f"round {index + 1}/{rounds}", probe, result))
    single: SingleClient = {}
    for probe in order:
        result = await _run(env, probe, factories[probe.name], warmup=False, concurrency=1)
        single[probe.name] = result
        progress(_line("one client", probe, result))
    return Measured(runs, single)
