"""Opaque, tamper-evident cursors and keyset pagination."""

from __future__ import annotations

import base64
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.config import get_settings
from app.core.errors import InvalidCursor
from app.core.security import hmac_sha256

T = TypeVar("T")
M = TypeVar("M")

MAX_LIMIT = 200
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, at most 200")]
CursorQuery = Annotated[
    str | None, Query(max_length=2000, description="Opaque cursor from `next_cursor`")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(data: dict[str, Any], *, purpose: str) -> str:
    """Serialise cursor state; the HMAC binds it to this service and to its purpose."""
    body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac_sha256(get_settings().secret_key, f"{purpose}:{body}".encode())[:32]
    return f"{body}.{signature}"


def decode_cursor(cursor: str, *, purpose: str) -> dict[str, Any]:
    body, _, signature = cursor.partition(".")
    expected = hmac_sha256(get_settings().secret_key, f"{purpose}:{body}".encode())[:32]
    # Bytes: compare_digest refuses str with non-ASCII characters, and cursors come from users.
    if not signature or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidCursor("The cursor is malformed or was not issued by this service")
    try:
        data = json.loads(_unb64(body))
    except ValueError as exc:
        raise InvalidCursor("The cursor is malformed") from exc
    if not isinstance(data, dict):
        raise InvalidCursor("The cursor is malformed")
    return data


def _dump_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    return value


def _load_key(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "uuid" in value:
            return uuid.UUID(value["uuid"])
    return value


async def keyset_page(
    session: AsyncSession,
    stmt: Select[tuple[M]],
    *,
    order: tuple[InstrumentedAttribute[Any], ...],
    cursor: str | None,
    limit: int,
    purpose: str,
) -> tuple[list[M], str | None]:
    """One page of ``stmt`` ordered by the unique key ``order``, and the cursor after it."""
    if cursor:
        raw = decode_cursor(cursor, purpose=purpose).get("k")
        if not isinstance(raw, list) or len(raw) != len(order):
            raise InvalidCursor("The cursor does not belong to this listing")
        try:
            values = [_load_key(v) for v in raw]
        except (ValueError, TypeError) as exc:
            raise InvalidCursor("The cursor is malformed") from exc
        stmt = stmt.where(tuple_(*order) > tuple_(*values))
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    key = [_dump_key(getattr(last, col.key)) for col in order]
    return rows, encode_cursor({"k": key}, purpose=purpose)


@dataclass(frozen=True)
class SortKey:
    """One key of a sort order: the SQL expression, how to read it from a row, its direction."""

    expression: ColumnElement[Any] | InstrumentedAttribute[Any]
    value: Callable[[Any], Any]
    descending: bool = False


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (mixed directions allowed)."""
    clauses: list[ColumnElement[bool]] = []
    for index, key in enumerate(keys):
        expr, value = key.expression, values[index]
        beyond = expr < value if key.descending else expr > value
        equal = [keys[i].expression == values[i] for i in range(index)]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


async def sorted_page(
    session: AsyncSession,
    stmt: Select[tuple[M]],
    *,
    keys: Sequence[SortKey],
    cursor: str | None,
    limit: int,
    purpose: str,
) -> tuple[list[M], str | None]:
    """One page of ``stmt`` in the order of ``keys`` (the last must be unique), and the cursor
    after it: keyset pagination in any mix of ascending and descending keys."""
    if cursor:
        raw = decode_cursor(cursor, purpose=purpose).get("k")
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise InvalidCursor("The cursor does not belong to this listing")
        try:
            values = [_load_key(v) for v in raw]
        except (ValueError, TypeError) as exc:
            raise InvalidCursor("The cursor is malformed") from exc
        stmt = stmt.where(_after(keys, values))
    order = [k.expression.desc() if k.descending else k.expression.asc() for k in keys]
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    key = [_dump_key(k.value(rows[-1])) for k in keys]
    return rows, encode_cursor({"k": key}, purpose=purpose)
