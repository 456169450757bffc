"""Abuse limits: moving windows per client address, account or client, held in process memory.

Each worker process counts on its own, so with N workers a caller may get up to N times a limit
before every worker refuses it; the limits are meant against guessing and scripted floods, which
stay far beyond that. A refused call is 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.core.config import RateSettings
from app.core.errors import TooManyRequests


class RateLimiter:
    """Named limits from ``RateSettings`` (``"10/minute"``, ``"5 per hour"``...)."""

    def __init__(self, settings: RateSettings) -> None:
        self._window = MovingWindowRateLimiter(MemoryStorage())
        self._limits: dict[str, RateLimitItem] = {
            name: parse(str(value)) for name, value in settings.model_dump().items()
        }

    def hit(
        self, name: str, key: str, *, detail: str = "Too many requests; try again later"
    ) -> None:
        """Count one call of ``key`` against limit ``name``; 429 once it is spent."""
        item = self._limits[name]
        if self._window.hit(item, name, key):
            return
        reset = self._window.get_window_stats(item, name, key).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        raise TooManyRequests(detail, headers={"Retry-After": str(retry)})
