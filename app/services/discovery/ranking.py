"""Pages of a ranked list: the whole candidate set is scored, ordered by score (then id), and
served in pages whose cursor carries the offset and the query's fingerprint."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor
from app.services.discovery.score import Score

T = TypeVar("T")


def fingerprint(query: dict[str, Any]) -> str:
    data = json.dumps(query, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def offset_of(cursor: str | None, *, purpose: str, key: str) -> int:
    if not cursor:
        return 0
    data = decode_cursor(cursor, purpose=purpose)
    if data.get("f") != key:
        raise InvalidCursor("The cursor belongs to another query")
    offset = data.get("o")
    if not isinstance(offset, int) or offset < 0:
        raise InvalidCursor("The cursor is malformed")
    return offset


def page(
    scored: Sequence[tuple[T, Score, str]],
    *,
    cursor: str | None,
    limit: int,
    purpose: str,
    query: dict[str, Any],
) -> tuple[list[tuple[T, Score]], str | None]:
    """One page of ``(item, score, tie-breaking id)`` ranked by score, highest first."""
    key = fingerprint(query)
    start = offset_of(cursor, purpose=purpose, key=key)
    ranked = sorted(scored, key=lambda row: (-row[1].total, row[2]))
    rows = [(item, score) for item, score, _ in ranked[start : start + limit]]
    end = start + limit
    next_cursor = (
        encode_cursor({"o": end, "f": key}, purpose=purpose) if end < len(ranked) else None
    )
    return rows, next_cursor
