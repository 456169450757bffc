"""Abuse limits: moving windows per client address, account or client, held in process memory.

Each worker process counts on its own, so with N workers a caller may get up to N times a limit
before every worker refuses it; the limits are meant against guessing and scripted floods, which
stay far beyond that. A refused call is 429 with ``Retry-After``.

The notation is the ``limits`` package's (``"10/minute"``, ``"5 per hour"``); the windows are
kept here, as one deque of call times per key. The package's in-memory storage expires entries
from a timer thread it starts anew, 10 ms after the last one ended, from the call that counts:
under load that is a thread started on most requests, and the request's own thread waiting for
it to start, behind every other thread holding the interpreter (bench/, README).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from limits import RateLimitItem, parse

from app.core.config import RateSettings
from app.core.errors import TooManyRequests

# How often, at most, keys whose windows emptied are forgotten (seconds).
SWEEP_SECONDS = 60.0


class RateLimiter:
    """Named limits from ``RateSettings``, each a moving window per key."""

    def __init__(self, settings: RateSettings) -> None:
        self._limits: dict[str, tuple[int, float]] = {}
        for name, value in settings.model_dump().items():
            item: RateLimitItem = parse(str(value))
            self._limits[name] = (item.amount, float(item.get_expiry()))
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def hit(
        self, name: str, key: str, *, detail: str = "Too many requests; try again later"
    ) -> None:
        """Count one call of ``key`` against limit ``name``; 429 once it is spent (a refused
        call does not count)."""
        amount, period = self._limits[name]
        now = time.monotonic()
        with self._lock:
            if now - self._swept >= SWEEP_SECONDS:
                self._sweep(now)
            calls = self._calls.setdefault((name, key), deque())
            while calls and calls[0] <= now - period:
                calls.popleft()
            if len(calls) < amount:
                calls.append(now)
                return
            # The oldest call leaves the window then (a limit of none: a whole period).
            free_at = calls[0] + period if calls else now + period
            retry = max(1, math.ceil(free_at - now))
        raise TooManyRequests(detail, headers={"Retry-After": str(retry)})

    def _sweep(self, now: float) -> None:
        """Forget the keys with no call left in their window (called with the lock held)."""
        self._swept = now
        for (name, key), calls in list(self._calls.items()):
            if not calls or calls[-1] <= now - self._limits[name][1]:
                del self._calls[(name, key)]
