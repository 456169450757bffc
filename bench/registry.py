"""The probe registry: workloads (what the service does) and ceilings (what bounds it).

A probe is measured by opening one ``Operation`` per concurrent client and calling it in a loop.
To add a workload, drop a module into ``bench/workloads/`` that decorates an async *prepare*
function; the core imports every module there, so nothing else changes::

    @workload("search", "GET /api/v1/search?q=...", ceilings=("minimal-endpoint", "search-sql"))
    async def search(env: Environment) -> OperationFactory:
        await seed_listings(env)  # one-time setup, not timed
        return env.http(await env.service(), HttpRequest("GET", "/api/v1/search?q=cong+nghe"))

A new ceiling is registered the same way with ``@ceiling`` (e.g. the exact SQL the search
service runs, or an in-process Core insert for ingest) and named by the workloads it bounds.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bench.config import BenchError

if TYPE_CHECKING:
    from bench.environment import Environment


class Operation(Protocol):
    """One client's connection; each call performs one request or query and raises on failure."""

    async def __call__(self) -> None: ...

    async def aclose(self) -> None: ...


OperationFactory = Callable[[], Awaitable[Operation]]
Prepare = Callable[["Environment"], Awaitable[OperationFactory]]


@dataclass(frozen=True)
class Probe:
    name: str
    description: str
    unit: str
    prepare: Prepare


@dataclass(frozen=True)
class Workload(Probe):
    ceilings: tuple[str, ...]


WORKLOADS: dict[str, Workload] = {}
CEILINGS: dict[str, Probe] = {}


def _check_new(name: str) -> None:
    # Results are keyed by name, so a workload and a ceiling may not share one.
    if name in WORKLOADS or name in CEILINGS:
        raise BenchError(f"probe {name!r} is registered twice")


def workload(
    name: str, description: str, *, ceilings: Iterable[str], unit: str = "req/s"
) -> Callable[[Prepare], Prepare]:
    """Register a service workload compared with the named ceilings."""

    def register(prepare: Prepare) -> Prepare:
        _check_new(name)
        WORKLOADS[name] = Workload(name, description, unit, prepare, tuple(ceilings))
        return prepare

    return register


def ceiling(name: str, description: str, *, unit: str = "req/s") -> Callable[[Prepare], Prepare]:
    """Register a ceiling: the best a workload could do on the same machine and data."""

    def register(prepare: Prepare) -> Prepare:
        _check_new(name)
        CEILINGS[name] = Probe(name, description, unit, prepare)
        return prepare

    return register


def discover() -> None:
    """Import every module of ``bench.workloads`` so that their decorators run."""
    import bench.workloads as package

    for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)


def select(names: Iterable[str] = ()) -> list[Workload]:
    """The workloads to run (all when ``names`` is empty), their ceilings checked."""
    wanted = list(names) or list(WORKLOADS)
    unknown = [name for name in wanted if name not in WORKLOADS]
    if unknown:
        raise BenchError(
            f"unknown workload {', '.join(unknown)}; known: {', '.join(sorted(WORKLOADS))}"
        )
    chosen = [WORKLOADS[name] for name in wanted]
    for item in chosen:
        missing = [name for name in item.ceilings if name not in CEILINGS]
        if missing:
            raise BenchError(f"workload {item.name} names unknown ceiling {', '.join(missing)}")
    return chosen


def ceilings_of(workload: Workload) -> list[Probe]:
    return [CEILINGS[name] for name in workload.ceilings]
