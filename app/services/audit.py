"""The audit log: every state change and every read of confidential content, hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the entry's
own fields, so editing, inserting or deleting a stored entry breaks the chain at that entry.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import is_sqlite
from app.core.pagination import keyset_page
from app.core.security import sha256_hex
from app.models import AuditEntry
from app.models.base import utcnow

GENESIS = "0" * 64
# Serialises appends on PostgreSQL ("techx" in ASCII); SQLite serialises writers itself.
CHAIN_LOCK = 0x7465636878
VERIFY_BATCH = 1000


def canonical_json(value: Any) -> str:
    """The one JSON spelling hashed and signed throughout the service."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
) -> str:
    fields = {
        "seq": seq,
        "at": at.isoformat(),
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data,
    }
    return sha256_hex(prev_hash + canonical_json(fields))


def _recompute(entry: AuditEntry) -> str:
    return entry_hash(
        entry.prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        data=entry.data,
    )


async def _lock_chain(session: AsyncSession) -> None:
    if not is_sqlite(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})


async def append(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry at the end of the chain, in the caller's transaction."""
    await _lock_chain(session)
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    values: dict[str, Any] = {
        "seq": seq,
        "at": utcnow(),
        "actor_id": str(actor_id) if actor_id else None,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "data": data or {},
    }
    entry = AuditEntry(**values, prev_hash=prev_hash, hash=entry_hash(prev_hash, **values))
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    intact: bool
    entries: int
    first_tampered_seq: int | None = None
    reason: str | None = None


def _check(entry: AuditEntry, expected_prev: str, expected_seq: int) -> str | None:
    if entry.seq != expected_seq:
        return f"sequence gap: expected entry {expected_seq}"
    if entry.prev_hash != expected_prev:
        return "previous-hash link does not match the preceding entry"
    if entry.hash != _recompute(entry):
        return "stored hash does not match the entry's content"
    return None


async def verify(session: AsyncSession) -> Verification:
    """Recompute the chain in order; name the first entry whose content or link is wrong."""
    prev, expected_seq, count = GENESIS, 1, 0
    while True:
        batch = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq >= expected_seq)
                .order_by(AuditEntry.seq)
                .limit(VERIFY_BATCH)
            )
        ).all()
        for entry in batch:
            problem = _check(entry, prev, expected_seq)
            if problem is not None:
                return Verification(False, count, entry.seq, problem)
            prev, expected_seq, count = entry.hash, entry.seq + 1, count + 1
        if len(batch) < VERIFY_BATCH:
            return Verification(True, count)


async def list_page(
    session: AsyncSession,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actions: Iterable[str] | None = None,
    cursor: str | None,
    limit: int,
) -> tuple[list[AuditEntry], str | None]:
    """Entries in chain order, optionally those of one subject and of some actions."""
    stmt = select(AuditEntry)
    if subject_type is not None:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if actions is not None:
        stmt = stmt.where(AuditEntry.action.in_(list(actions)))
    purpose = f"audit:{subject_type}:{subject_id}:{','.join(sorted(actions or []))}"
    return await keyset_page(
        session, stmt, order=(AuditEntry.seq,), cursor=cursor, limit=limit, purpose=purpose
    )
