"""A batch (a push, a harvested page) applied with set-based statements.

The version rules are those of ``apply``, decided in Python over the batch's records as they
stand: the lookups lock every record's key, read the stored rows and tombstones (locked too) and
resolve the owners, then each item is decided in input order against its record's state, which
the items before it have moved (so a key repeated in one batch has the same winner as one
item after another). Only then is anything written, one statement per table: owners made,
listings deleted, inserted and updated, their identifier keys, and the feed entries, in the
order of each record's last change. Search text is folded once, for the rows written.

If a statement fails, the writes roll back to the batch's savepoint and the caller applies the
batch item by item instead (``apply``), where each item has a savepoint of its own and a failing
item is rejected alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import IpRecord, ListingIdentifier
from app.models.base import utcnow
from app.schemas.sync import SourceRef, SyncRecord
from app.services.federation import apply, duplicates, feed, owners
from app.services.federation.apply import LISTINGS, Outcome
from app.services.listings import records as listings

RACE_ATTEMPTS = 2
# Tables, not entities: Core executemany, without the ORM's bulk bookkeeping.
IDENTIFIERS = cast(Table, ListingIdentifier.__table__)


@dataclass
class Item:
    """One valid item of the batch: an upsert (with its record) or a delete."""

    source: SourceRef
    record: SyncRecord | None = None


@dataclass
class _Record:
    """A record's state as the batch moves it; ``initially_live``: a stored row at the start."""

    id: uuid.UUID | None
    version: int | None
    content_hash: str | None
    live: bool
    initially_live: bool
    removed: bool = False  # the stored row was deleted by an item of the batch
    values: dict[str, Any] | None = None  # the row to write, when live and changed
    owner: owners.OwnerKey | None = None  # the owner of that row
    last: int = -1  # the index of the last item that applied


@dataclass
class _Writes:
    deleted: list[uuid.UUID] = field(default_factory=list)
    inserted: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    owners: set[owners.OwnerKey] = field(default_factory=set)


def _states(lookups: apply.Lookups) -> dict[apply.RecordKey, _Record]:
    states = {}
    for key, (stored, grave) in lookups.records.items():
        if stored is not None:
            states[key] = _Record(stored.id, stored.version, stored.content_hash, True, True)
        elif grave is not None:
            states[key] = _Record(grave.listing_id, grave.version, None, False, False)
        else:
            states[key] = _Record(None, None, None, False, False)
    return states


def _upsert(state: _Record, values: dict[str, Any], version: int) -> Outcome:
    if state.live:
        assert state.version is not None and state.id is not None
        verdict = apply.compare(state.version, version)
        if verdict == "stale":
            return Outcome("stale", state.id, state.version)
        if verdict == "equal" and state.content_hash == values["content_hash"]:
            return Outcome("unchanged", state.id, state.version)
        if verdict == "equal":
            return apply.conflict(state.id, state.version, "another content at the stored version")
        status = "updated"
    elif state.version is not None and version <= state.version:
        assert state.id is not None
        return Outcome("stale", state.id, state.version)
    else:
        state.id, state.live, status = state.id or uuid.uuid4(), True, "created"
    state.version, state.content_hash, state.values = version, values["content_hash"], values
    return Outcome(status, state.id, version)


def _delete(state: _Record, version: int) -> Outcome:
    if state.live:
        assert state.version is not None and state.id is not None
        verdict = apply.compare(state.version, version)
        if verdict == "stale":
            return Outcome("stale", state.id, state.version)
        if verdict == "equal":
            return apply.conflict(state.id, state.version, "a live record, not a deletion")
        state.removed = state.removed or state.initially_live
    elif state.version is not None and version <= state.version:
        assert state.id is not None
        status = "unchanged" if version == state.version else "stale"
        return Outcome(status, state.id, state.version)
    state.id, state.live, state.values = state.id or uuid.uuid4(), False, None
    state.version = version
    return Outcome("deleted", state.id, version)


def _decide(
    items: list[Item], states: dict[apply.RecordKey, _Record], found: owners.Owners
) -> list[Outcome]:
    outcomes = []
    for index, item in enumerate(items):
        source = item.source
        state = states[(source.exchange, source.source_id)]
        if item.record is None:
            outcome = _delete(state, source.version)
        else:
            key = owners.owner_key(source.exchange, item.record.owner)
            values = apply.record_values(item.record, found.row(key))
            outcome = _upsert(state, values, source.version)
            if outcome.status in apply.APPLIED:
                state.owner = key
        if outcome.status in apply.APPLIED:
            state.last = index
        outcomes.append(outcome)
    return outcomes


def _writes(states: dict[apply.RecordKey, _Record]) -> _Writes:
    writes = _Writes()
    now = utcnow()
    for (exchange, source_id), state in sorted(states.items(), key=lambda kv: kv[1].last):
        if state.last < 0:
            continue
        if state.removed:
            writes.deleted.append(state.id)  # type: ignore[arg-type]
        if state.live and state.values is not None:
            folded = listings.search_columns(state.values, keys=listings.word_cached_keys)
            row = {**state.values, **folded, "updated_at": now}
            fresh = state.removed or not state.initially_live
            (writes.inserted if fresh else writes.updated).append({"id": state.id, **row})
            assert state.owner is not None
            writes.owners.add(state.owner)
        writes.entries.append(
            {
                "op": "upsert" if state.live else "delete",
                "listing_id": state.id,
                "origin_exchange": exchange,
                "origin_id": source_id,
                "version": state.version,
            }
        )
    return writes


async def _identifiers(session: AsyncSession, writes: _Writes) -> None:
    """The rows' identifier keys as they are now (an update's old keys replaced)."""
    changed = [row["id"] for row in writes.updated]
    keys = {row["id"]: duplicates.ip_keys(row["ip_numbers"]) for row in writes.inserted}
    keys |= {row["id"]: duplicates.ip_keys(row["ip_numbers"]) for row in writes.updated}
    if changed:
        await session.execute(
            delete(ListingIdentifier).where(ListingIdentifier.listing_id.in_(changed))
        )
        linked = await session.execute(
            select(
                IpRecord.listing_id,
                IpRecord.office,
                IpRecord.application_number,
                IpRecord.publication_number,
                IpRecord.registration_number,
            ).where(IpRecord.listing_id.in_(changed))
        )
        for listing_id, office, *numbers in linked:
            keys[listing_id] |= duplicates.ip_keys(numbers, office=office)
    rows = [
        {"listing_id": listing_id, "kind": duplicates.IP, "key": key}
        for listing_id, found in keys.items()
        for key in sorted(found)
    ]
    if rows:
        await session.execute(insert(IDENTIFIERS), rows)


def _update_statement(columns: list[str]) -> Any:
    return (
        update(LISTINGS)
        .where(LISTINGS.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in columns})
    )


async def _write(session: AsyncSession, writes: _Writes, found: owners.Owners) -> None:
    await owners.create(session, found, writes.owners)
    if writes.deleted:
        await session.execute(delete(LISTINGS).where(LISTINGS.c.id.in_(writes.deleted)))
    if writes.inserted:
        await session.execute(insert(LISTINGS), writes.inserted)
    if writes.updated:
        columns = [name for name in writes.updated[0] if name != "id"]
        params = [{**row, "row_id": row["id"]} for row in writes.updated]
        for param in params:
            del param["id"]
        await session.execute(_update_statement(columns), params)
    await _identifiers(session, writes)
    await feed.record_many(session, writes.entries)


async def _as_set(session: AsyncSession, items: list[Item]) -> list[Outcome] | None:
    """The items' outcomes in order, their writes done; ``None`` when a statement failed and
    nothing was written."""
    named = [(i.source.exchange, i.record.owner) for i in items if i.record is not None]
    lookups = await apply.look_up(session, [item.source for item in items], named)
    states = _states(lookups)
    outcomes = _decide(items, states, lookups.owners)
    try:
        async with session.begin_nested():
            await _write(session, _writes(states), lookups.owners)
    except DBAPIError:
        return None
    return outcomes


async def _one(session: AsyncSession, item: Item) -> Outcome:
    """One item in a savepoint of its own; a concurrent first write of the same record loses
    the unique race and is decided again."""
    for attempt in range(RACE_ATTEMPTS):
        try:
            async with session.begin_nested() as savepoint:
                if item.record is not None:
                    outcome = await apply.upsert(session, item.record)
                else:
                    outcome = await apply.delete_record(session, item.source)
                if outcome.status not in apply.APPLIED:
                    await savepoint.rollback()  # e.g. an owner organisation made for nothing
                return outcome
        except IntegrityError:
            if attempt + 1 < RACE_ATTEMPTS:
                continue
        except DBAPIError:
            pass
        break
    return apply.rejected("invalid", [], "The record could not be stored", 422)


async def apply_all(session: AsyncSession, items: list[Item]) -> list[Outcome]:
    """Apply the items as one set, or one by one if a statement failed there: the outcomes in
    order (a rejected item's error paths are relative to the item)."""
    if not items:
        return []
    outcomes = await _as_set(session, items)
    if outcomes is not None:
        return outcomes
    return [await _one(session, item) for item in items]
