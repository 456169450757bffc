"""Push (design section 6): apply a peer's batch item by item under the version rules.

Each item runs in its own savepoint (the rules are in ``sync_apply``), so a bad item rolls back
alone while the batch, its feed entries and the idempotency record share one transaction.
Item outcomes:

- upsert, higher version than stored (or new): ``created`` / ``updated``
- equal version and content: ``unchanged``; equal version, other content: ``rejected``
  with error code ``conflict`` (``http_status`` 409); lower version: ``stale``
- delete: ``deleted`` (an unknown record still gets a tombstone, which is propagated); a
  re-create needs a version above the tombstone's
- another exchange's record: ``rejected`` with ``forbidden`` (``http_status`` 403)
- invalid metadata: ``rejected`` with the validation errors and their paths (422)
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import SyncSettings
from app.core.errors import Forbidden, PayloadTooLarge
from app.schemas.sync import (
    READ_ONLY_FIELDS,
    DeleteItem,
    ItemError,
    ItemResult,
    PushRequest,
    PushResponse,
    SourceRef,
    UpsertItem,
)
from app.services.federation import apply as sync_apply
from app.services.federation import exchanges
from app.services.federation.apply import APPLIED, Outcome, rejected

Item = Annotated[UpsertItem | DeleteItem, Field(discriminator="op")]
_ITEM = TypeAdapter(Item)
PUSH_MODES = frozenset({"push", "both"})
RACE_ATTEMPTS = 2


class BatchTooLarge(PayloadTooLarge):
    slug, title = "sync-batch-too-large", "Too many items in one push"


class ExchangeNotAllowed(Forbidden):
    slug, title = "sync-push-forbidden", "This exchange may not push"


def _source_id(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    source = raw.get("source")
    if isinstance(raw.get("record"), dict):
        source = raw["record"].get("source")
    value = source.get("source_id") if isinstance(source, dict) else None
    return value if isinstance(value, str) else None


def _parse(raw: Any, index: int) -> UpsertItem | DeleteItem | Outcome:
    if isinstance(raw, dict) and isinstance(raw.get("record"), dict):
        record = {k: v for k, v in raw["record"].items() if k not in READ_ONLY_FIELDS}
        raw = {**raw, "record": record}
    try:
        return _ITEM.validate_python(raw)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            loc = list(error["loc"])
            if loc and loc[0] in ("upsert", "delete"):
                loc = loc[1:]  # the union's tag, not a field
            errors.append(
                ItemError(code=error["type"], loc=["items", index, *loc], msg=error["msg"])
            )
        return Outcome("rejected", errors=errors, http_status=422)


def _source(item: UpsertItem | DeleteItem) -> SourceRef:
    return item.record.source if isinstance(item, UpsertItem) else item.source


async def _look_up(
    session: AsyncSession, items: list[UpsertItem | DeleteItem | Outcome], exchange: str
) -> sync_apply.Lookups:
    """One lookup for the batch's own records (another exchange's are never read)."""
    valid = [item for item in items if not isinstance(item, Outcome)]
    sources = [_source(item) for item in valid if _source(item).exchange == exchange]
    owners = [
        (item.record.owner.name, item.record.owner.kind)
        for item in valid
        if isinstance(item, UpsertItem) and item.record.source.exchange == exchange
    ]
    return await sync_apply.look_up(session, sources, owners)


async def _apply(
    session: AsyncSession,
    item: UpsertItem | DeleteItem | Outcome,
    *,
    index: int,
    exchange: str,
    lookups: sync_apply.Lookups,
) -> Outcome:
    if isinstance(item, Outcome):
        return item
    source = _source(item)
    where: list[str | int] = ["items", index, *(["record"] if item.op == "upsert" else [])]
    if source.exchange != exchange:
        msg = f"Exchange {exchange} may not write records of exchange {source.exchange}"
        return rejected("forbidden", [*where, "source", "exchange"], msg, 403)
    # A concurrent first write of the same record loses the unique race: decide again.
    for attempt in range(RACE_ATTEMPTS):
        try:
            outcome = await _decide(session, item, lookups)
        except IntegrityError:
            if attempt + 1 < RACE_ATTEMPTS:
                lookups.owners.clear()  # an owner may have gone since the batch began
                continue
        except DBAPIError:
            pass
        else:
            for error in outcome.errors:
                error.loc = [*where, *error.loc]
            return outcome
        break
    return rejected("invalid", ["items", index], "The record could not be stored", 422)


async def _decide(
    session: AsyncSession, item: UpsertItem | DeleteItem, lookups: sync_apply.Lookups
) -> Outcome:
    async with session.begin_nested() as savepoint:
        if isinstance(item, UpsertItem):
            outcome = await sync_apply.upsert(session, item.record, lookups)
        else:
            outcome = await sync_apply.delete_record(session, item.source, lookups)
        if outcome.status not in APPLIED:
            await savepoint.rollback()  # e.g. an owner organisation made for nothing
        return outcome


def _tally(outcomes: list[Outcome]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.status in APPLIED:
            counts["applied"] += 1
        elif outcome.status != "rejected":
            counts[outcome.status] += 1
        elif outcome.errors and outcome.errors[0].code == "conflict":
            counts["conflicts"] += 1
        else:
            counts["rejected"] += 1
    return counts


async def _check_exchange(session: AsyncSession, code: str) -> None:
    exchange = await exchanges.find(session, code)
    if exchange is None:
        raise ExchangeNotAllowed(f"Exchange {code} is not registered on this instance")
    if exchange.status != "active" or exchange.mode not in PUSH_MODES:
        raise ExchangeNotAllowed(f"Exchange {code} is {exchange.status} in {exchange.mode} mode")


async def push(
    session: AsyncSession, body: PushRequest, *, exchange: str, limits: SyncSettings
) -> PushResponse:
    """Apply a batch pushed by ``exchange``: one result per item, in input order."""
    if len(body.items) > limits.max_batch_items:
        raise BatchTooLarge(f"At most {limits.max_batch_items} items per push")
    await _check_exchange(session, exchange)
    items = [_parse(raw, index) for index, raw in enumerate(body.items)]
    lookups = await _look_up(session, items, exchange)
    outcomes = [
        await _apply(session, item, index=i, exchange=exchange, lookups=lookups)
        for i, item in enumerate(items)
    ]
    first = next((o.errors[0] for o in outcomes if o.errors), None)
    error = f"{first.code} at {'/'.join(map(str, first.loc))}: {first.msg}" if first else None
    await exchanges.count(session, exchange, _tally(outcomes), error=error)
    results = [
        ItemResult(
            source_id=_source_id(raw),
            status=o.status,
            id=o.id,
            version=o.version,
            http_status=o.http_status,
            errors=o.errors,
        )
        for raw, o in zip(body.items, outcomes, strict=True)
    ]
    return PushResponse(results=results)
