"""The moving windows behind the abuse limits, on a controlled clock."""

from __future__ import annotations

import threading

import pytest

from app.core import ratelimit
from app.core.config import RateSettings
from app.core.errors import TooManyRequests
from app.core.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", found)
    return found


def _limiter() -> RateLimiter:
    return RateLimiter(RateSettings(token_per_address="3/minute", register_per_address="1/hour"))


def _refused(limiter: RateLimiter, name: str, key: str) -> int | None:
    """The Retry-After of a refused call, None when the call counts."""
    try:
        limiter.hit(name, key)
    except TooManyRequests as refused:
        return int(refused.headers["Retry-After"])
    return None


def test_the_window_moves(clock: Clock) -> None:
    limiter = _limiter()
    for offset in (0, 10, 20):
        clock.now = 1000 + offset
        assert _refused(limiter, "token_per_address", "a") is None
    clock.now = 1030
    # The oldest of the three calls leaves the window at 1060.
    assert _refused(limiter, "token_per_address", "a") == 30
    clock.now = 1059.5
    assert _refused(limiter, "token_per_address", "a") == 1
    clock.now = 1060
    assert _refused(limiter, "token_per_address", "a") is None
    assert _refused(limiter, "token_per_address", "a") == 10  # the call at 1010 goes at 1070


def test_keys_and_limits_count_apart(clock: Clock) -> None:
    limiter = _limiter()
    assert _refused(limiter, "register_per_address", "a") is None
    assert _refused(limiter, "register_per_address", "a") == 3600
    assert _refused(limiter, "register_per_address", "b") is None
    assert _refused(limiter, "token_per_address", "a") is None


def test_refused_calls_do_not_count(clock: Clock) -> None:
    limiter = _limiter()
    assert _refused(limiter, "register_per_address", "a") is None
    for _ in range(50):
        clock.now += 60
        assert _refused(limiter, "register_per_address", "a") is not None
    clock.now = 1000 + 3600
    assert _refused(limiter, "register_per_address", "a") is None


def test_idle_keys_are_forgotten(clock: Clock) -> None:
    limiter = _limiter()
    for key in ("a", "b", "c"):
        limiter.hit("token_per_address", key)
    limiter.hit("register_per_address", "a")
    clock.now += ratelimit.SWEEP_SECONDS + 1  # the minute windows are empty, the hour's is not
    limiter.hit("token_per_address", "d")
    assert sorted(limiter._calls) == [("register_per_address", "a"), ("token_per_address", "d")]


def test_counting_starts_no_thread() -> None:
    limiter = RateLimiter(RateSettings(token_per_address="1000000/minute"))
    before = threading.active_count()
    for n in range(2000):
        limiter.hit("token_per_address", str(n % 7))
    assert threading.active_count() == before


def test_a_limit_of_none_refuses_every_call(clock: Clock) -> None:
    limiter = RateLimiter(RateSettings(token_per_address="0/minute"))
    assert _refused(limiter, "token_per_address", "a") == 60
