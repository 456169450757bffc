"""``Idempotency-Key`` for creating requests: the first answer is stored in the same transaction
as the writes and replayed for a retry with the same body.

Request bodies and answers can carry passwords and client secrets, so the table keeps only a keyed
fingerprint of the request and the answer encrypted with the service secret."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import is_sqlite
from app.core.errors import Conflict, Unprocessable
from app.core.security import TokenError, decrypt, encrypt, hmac_sha256
from app.models import IdempotencyKey
from app.models.base import utcnow

REPLAYED_HEADERS = ("location", "etag", "content-type")
LOCK_NOT_AVAILABLE = "55P03"


class IdempotencyKeyReused(Unprocessable):
    slug, title = "idempotency-key-reused", "Idempotency key reused with another request"


class IdempotencyInFlight(Conflict):
    slug, title = "idempotency-in-flight", "A request with this idempotency key is in progress"

    def __init__(self) -> None:
        super().__init__(
            "The first request with this key has not finished; retry shortly",
            headers={"Retry-After": "1"},
        )


class StoredResponse(Exception):
    """Raised to answer a retry with the response stored for its key."""

    def __init__(self, record: IdempotencyKey, secret: str) -> None:
        super().__init__("replay")
        # Copied now: the request's session rolls back, expiring and detaching ``record``,
        # before the handler runs.
        self.status_code = record.status_code or 200
        sealed = record.response_body
        self.body: Any = json.loads(decrypt(secret, sealed)) if isinstance(sealed, str) else None
        self.headers: dict[str, str] = dict(record.response_headers or {})


class PendingRequest:
    def __init__(self, session: AsyncSession, record: IdempotencyKey, secret: str) -> None:
        self._session = session
        self._record = record
        self._secret = secret

    async def complete(self, response: Response) -> None:
        body = bytes(response.body) if response.body else b""
        self._record.status_code = response.status_code
        self._record.response_body = encrypt(self._secret, body.decode()) if body else None
        self._record.response_headers = {
            name: value for name, value in response.headers.items() if name in REPLAYED_HEADERS
        }
        await self._session.flush()


def _canonical(body: bytes, media_type: str) -> bytes:
    """JSON by meaning: sorted keys, no insignificant space, one escaping; other bodies as sent.

    A retry of the same JSON serialised another way is the same request.
    """
    if not (media_type == "application/json" or media_type.endswith("+json")):
        return body
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def fingerprint(request: Request, secret: str) -> str:
    """A keyed digest of the method, path and body (JSON in its canonical form)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        parts = sorted(
            (key, value if isinstance(value, str) else f"file:{value.filename}:{value.size}")
            for key, value in form.multi_items()
        )
        body = json.dumps(parts).encode()
    else:
        body = _canonical(await request.body(), media_type)
    return hmac_sha256(secret, f"{request.method} {request.url.path}\n".encode() + body)


def _check(record: IdempotencyKey, digest: str, secret: str) -> None:
    if record.fingerprint != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request body or endpoint"
        )
    if record.status_code is None:
        raise IdempotencyInFlight()
    raise StoredResponse(record, secret)


async def _existing(session: AsyncSession, principal: str, key: str) -> IdempotencyKey | None:
    record: IdempotencyKey | None = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.principal == principal, IdempotencyKey.key == key
        )
    )
    return record


async def begin(
    session: AsyncSession,
    request: Request,
    *,
    principal: str,
    key: str,
    ttl_hours: int,
    secret: str,
) -> PendingRequest:
    """Replay, refuse, or record a new request under ``key``."""
    digest = await fingerprint(request, secret)
    now = utcnow()
    record = await _existing(session, principal, key)
    if record is not None and record.expires_at > now:
        # Sealed under a previous service secret, the answer can no longer be replayed.
        with contextlib.suppress(TokenError):
            _check(record, digest, secret)
    if record is not None:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record.id))
    record = IdempotencyKey(
        principal=principal,
        key=key,
        method=request.method,
        path=request.url.path,
        fingerprint=digest,
        expires_at=now + timedelta(hours=ttl_hours),
    )
    try:
        async with session.begin_nested():
            if not is_sqlite(session):
                # Wait briefly for a concurrent first request instead of blocking on it.
                await session.execute(text("SET LOCAL lock_timeout = '500ms'"))
            session.add(record)
            await session.flush()
            if not is_sqlite(session):
                await session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    except IntegrityError:
        other = await _existing(session, principal, key)
        if other is None:
            raise
        _check(other, digest, secret)
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code == LOCK_NOT_AVAILABLE:
            raise IdempotencyInFlight() from exc
        raise
    return PendingRequest(session, record, secret)


async def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoredResponse)
    headers = {**exc.headers, "idempotent-replayed": "true"}
    media_type = headers.pop("content-type", "application/json")
    if exc.body is None:
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse(
        exc.body, status_code=exc.status_code, headers=headers, media_type=media_type
    )
