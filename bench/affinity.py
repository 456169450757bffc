"""CPU placement: the harness keeps to one CPU while it measures; servers may use them all.

On a 2-core machine a client free to roam competes with the server for both cores, and the
raw SQLite ceiling (aiosqlite: one thread per connection) flips between two speeds about 4x
apart depending on whether its threads share a core (the GIL then changes hands cheaply) or
not. Pinned, the ceiling is stable from run to run.
"""

from __future__ import annotations

import os

# Read at import, before any pinning: what the servers are given back.
ALL_CPUS: frozenset[int] = (
    frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()
)


_pinned: int | None = None


def pin_harness() -> int | None:
    """Keep this thread, and the threads it starts from now on, on one CPU (the last one)."""
    global _pinned
    if len(ALL_CPUS) < 2:
        return None
    _pinned = max(ALL_CPUS)
    os.sched_setaffinity(0, {_pinned})
    return _pinned


def pinned_cpu() -> int | None:
    return _pinned


def unpin(pid: int) -> None:
    """Give a child process every CPU back, whatever the harness is pinned to."""
    if ALL_CPUS:
        os.sched_setaffinity(pid, ALL_CPUS)
