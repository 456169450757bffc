"""The signing-key ring: keys live in the database so every process signs and verifies alike."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import (
    ALGORITHM,
    PrivateKey,
    PublicKey,
    TokenError,
    decrypt,
    encrypt,
    generate_key_pair,
)
from app.models import SigningKey
from app.models.base import utcnow

RELOAD_SECONDS = 60.0
MISS_RELOAD_SECONDS = 2.0
# Tokens whose signature was verified, remembered so that a client's next request with the same
# token skips the RSA check; what can change between requests (expiry, the key's retirement, the
# session and the account) is still checked on every use.
VERIFIED_TOKENS = 4096

logger = logging.getLogger("techx.keys")


class KeyRing:
    """Caches keys in the process; reloads periodically and when an unknown ``kid`` appears."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        self._active: PrivateKey | None = None
        self._public: dict[str, tuple[PublicKey, float | None]] = {}
        self._loaded_at = -math.inf
        self._miss_reload_at = 0.0
        self._verified: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()

    def verified(self, token: str) -> tuple[str, dict[str, Any]] | None:
        """The key id and claims of a token verified before, or ``None``."""
        entry = self._verified.get(token)
        if entry is not None:
            self._verified.move_to_end(token)
        return entry

    def remember(self, token: str, kid: str, claims: dict[str, Any]) -> None:
        self._verified[token] = (kid, claims)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)

    async def _reload(self, session: AsyncSession) -> None:
        rows = (await session.scalars(select(SigningKey).order_by(SigningKey.created_at))).all()
        self._public = {
            row.kid: (
                PublicKey(row.kid, row.algorithm, row.public_pem),
                row.retired_at.timestamp() if row.retired_at else None,
            )
            for row in rows
        }
        active = [row for row in rows if row.retired_at is None]
        self._active = None
        if active:
            newest = active[-1]
            try:
                pem = decrypt(self._secret_key, newest.private_pem_encrypted)
            except TokenError:
                # The service secret changed: this key can still verify but no longer sign.
                logger.warning(
                    "active signing key unreadable; a new one is made", extra={"kid": newest.kid}
                )
            else:
                self._active = PrivateKey(newest.kid, newest.algorithm, pem)
        self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        self._loaded_at = -math.inf
        self._verified.clear()

    async def active_key(self, session: AsyncSession) -> PrivateKey:
        """The key new signatures use; created on first use."""
        if self._active is None or time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            await self._reload(session)
        if self._active is None:
            await create_key(session, secret_key=self._secret_key)
            await self._reload(session)
        assert self._active is not None
        return self._active

    def cached_public_key(self, kid: str) -> tuple[PublicKey, float | None] | None:
        """``public_key`` when it needs no reload, else ``None``."""
        if time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            return None
        return self._public.get(kid)

    async def public_key(self, session: AsyncSession, kid: str) -> tuple[PublicKey, float | None]:
        """A key by id with its retirement time (epoch seconds), or ``KeyError``."""
        now = time.monotonic()
        stale = now - self._loaded_at > RELOAD_SECONDS
        if stale or (kid not in self._public and now >= self._miss_reload_at):
            self._miss_reload_at = now + MISS_RELOAD_SECONDS
            await self._reload(session)
        return self._public[kid]

    async def every_public_key(self, session: AsyncSession) -> list[PublicKey]:
        """Every key ever used, retired ones included: receipts stay verifiable after rotations."""
        await self._reload(session)
        return [key for key, _retired_at in self._public.values()]

    async def verifying_keys(self, session: AsyncSession, *, grace_seconds: int) -> list[PublicKey]:
        """Keys that still verify access tokens: active ones and those retired within grace."""
        await self._reload(session)
        horizon = time.time() - grace_seconds
        return [
            key
            for key, retired_at in self._public.values()
            if retired_at is None or retired_at > horizon
        ]


async def create_key(session: AsyncSession, *, secret_key: str) -> SigningKey:
    """Add a new active key pair."""
    private_pem, public_pem = generate_key_pair()
    row = SigningKey(
        kid=uuid.uuid4().hex[:16],
        algorithm=ALGORITHM,
        public_pem=public_pem,
        private_pem_encrypted=encrypt(secret_key, private_pem),
    )
    session.add(row)
    await session.flush()
    return row


async def rotate(session: AsyncSession, *, secret_key: str) -> SigningKey:
    """Retire every active key and make a new one; retired keys keep verifying for a while."""
    now = utcnow()
    await session.execute(
        update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
    )
    # Created a moment later so it sorts after the keys it replaces.
    row = await create_key(session, secret_key=secret_key)
    row.created_at = now + timedelta(microseconds=1)
    await session.flush()
    return row


async def list_keys(session: AsyncSession) -> list[SigningKey]:
    """Every key, newest first."""
    return list(
        (await session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc()))).all()
    )
