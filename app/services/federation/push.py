"""Push (design section 6): apply a peer's batch under the version rules.

Items are validated once; the valid ones of the pushing exchange are applied as one set
(``batch``: one statement per table), and if a statement fails there, one by one, each in its
own savepoint (the rules are in ``sync_apply``), so a bad item rolls back alone. Either way the
batch, its feed entries and the idempotency record share one transaction. Item outcomes:

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
from app.services.federation import batch, exchanges
from app.services.federation.apply import APPLIED, Outcome, rejected

Item = Annotated[UpsertItem | DeleteItem, Field(discriminator="op")]
_ITEM = TypeAdapter(Item)
PUSH_MODES = frozenset({"push", "both"})


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


def _where(item: UpsertItem | DeleteItem, index: int) -> list[str | int]:
    return ["items", index, *(["record"] if item.op == "upsert" else [])]


def _screen(
    item: UpsertItem | DeleteItem | Outcome, index: int, exchange: str
) -> UpsertItem | DeleteItem | Outcome:
    """The item to apply, or its outcome already: invalid, or another exchange's record."""
    if isinstance(item, Outcome) or _source(item).exchange == exchange:
        return item
    msg = f"Exchange {exchange} may not write records of exchange {_source(item).exchange}"
    return rejected("forbidden", [*_where(item, index), "source", "exchange"], msg, 403)


async def _outcomes(
    session: AsyncSession, parsed: list[UpsertItem | DeleteItem | Outcome], exchange: str
) -> list[Outcome]:
    """Every item's outcome in input order, error paths from the request's root."""
    screened = [_screen(item, index, exchange) for index, item in enumerate(parsed)]
    valid = [(i, item) for i, item in enumerate(screened) if not isinstance(item, Outcome)]
    items = [
        batch.Item(_source(item), item.record if isinstance(item, UpsertItem) else None)
        for _, item in valid
    ]
    applied = await batch.apply_all(session, items)
    outcomes: list[Outcome] = [o if isinstance(o, Outcome) else Outcome("") for o in screened]
    for (index, item), outcome in zip(valid, applied, strict=True):
        for error in outcome.errors:
            # An item that could not be stored at all is named by its index alone.
            root = _where(item, index) if error.loc else ["items", index]
            error.loc = [*root, *error.loc]
        outcomes[index] = outcome
    return outcomes


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
    parsed = [_parse(raw, index) for index, raw in enumerate(body.items)]
    outcomes = await _outcomes(session, parsed, exchange)
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
