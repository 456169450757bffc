"""Process-wide objects the application and the workers share."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.database import create_engine, create_sessionmaker
from app.core.metrics import Metrics
from app.core.ratelimit import RateLimiter
from app.core.security import Passwords
from app.services.accounts.keys import KeyRing


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    passwords: Passwords
    limiter: RateLimiter
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            keyring=KeyRing(settings.secret_key),
            passwords=Passwords(
                time_cost=settings.auth.argon2_time_cost,
                memory_kib=settings.auth.argon2_memory_kib,
            ),
            limiter=RateLimiter(settings.rate),
        )
