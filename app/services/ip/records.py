"""IP records and their legal-status events: ownership, writes, and the derived status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app import vocabularies
from app.core.config import Settings, get_settings
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.models import IpEvent, IpRecord, User
from app.schemas.ip_record import (
    DeadlineRead,
    IpRecordCreate,
    IpRecordRead,
    IpRecordUpdate,
)
from app.services.ip import links, rules
from app.services.ip import status as ip_status
from app.services.ip.domain import Derived, EventFacts, RecordFacts, local_today
from app.services.ip.rules import RuleTable

# The numbers a linked listing's duplicate keys are made from.
_NUMBERS = frozenset({"office", "application_number", "publication_number", "registration_number"})


class IpRecordNotFound(NotFound):
    slug, title = "ip-record-not-found", "IP record not found"


class ApplicationNumberTaken(Conflict):
    slug, title = "ip-application-number-taken", "Application number already recorded"


class IpOwnerNotAllowed(Forbidden):
    slug, title = "ip-owner-not-allowed", "Only administrators choose another owner"


class IpOwnerNotFound(Unprocessable):
    slug, title = "ip-owner-not-found", "Owner not found"


@dataclass(frozen=True)
class Actor:
    """Who works on records: owners manage their own, administrators all."""

    user_id: uuid.UUID
    is_admin: bool = False

    def may_manage(self, record: IpRecord) -> bool:
        return self.is_admin or record.owner_id == self.user_id


@dataclass(frozen=True)
class AsOf:
    """The calendar day statuses are computed for, and the "due" window (nearest offset)."""

    today: date
    window: int


def as_of(settings: Settings, day: date | None = None) -> AsOf:
    offsets = settings.ip.alert_offsets_days or [0]
    return AsOf(today=day or local_today(settings.ip.utc_offset_hours), window=min(offsets))


def rule_table() -> RuleTable:
    return rules.load(get_settings().ip.rules_path)


def facts_of(record: IpRecord) -> RecordFacts:
    return RecordFacts(
        ip_type=record.ip_type,
        office=record.office,
        filing_date=record.filing_date,
        priority_date=record.priority_date,
        publication_date=record.publication_date,
        grant_date=record.grant_date,
        expiry_date=record.expiry_date,
    )


def event_facts(event: IpEvent) -> EventFacts:
    return EventFacts(
        category=event.category,
        key_event=event.key_event,
        event_date=event.event_date,
        effective_date=event.effective_date,
        fee_year=event.fee_year,
        national_code=event.national_code,
    )


def derive(record: IpRecord, when: AsOf) -> Derived:
    """Summary status and deadlines of a record whose events are loaded."""
    events = [event_facts(e) for e in record.events]
    return ip_status.derive(
        facts_of(record), events, rule_table(), today=when.today, due_window_days=when.window
    )


def view(record: IpRecord, when: AsOf) -> IpRecordRead:
    """The record as a client sees it, with its live status and next open deadline."""
    derived = derive(record, when)
    upcoming = [d for d in derived.deadlines if d.status != "met" and d.actor != "none"]
    read = IpRecordRead.model_validate(record)
    read.summary_status = derived.summary
    read.term_ends_on = derived.term_end
    read.next_deadline = DeadlineRead.model_validate(upcoming[0]) if upcoming else None
    return read


async def get(session: AsyncSession, record_id: uuid.UUID, *, actor: Actor) -> IpRecord:
    """A record the actor may manage, with its events; anyone else's is 404."""
    record = await session.scalar(
        select(IpRecord).where(IpRecord.id == record_id).options(selectinload(IpRecord.events))
    )
    if record is None or not actor.may_manage(record):
        raise IpRecordNotFound(f"No IP record {record_id}")
    return record


async def _flush_unique(session: AsyncSession, record: IpRecord) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise ApplicationNumberTaken(
            f"Application {record.application_number} of office {record.office} is recorded"
        ) from exc


async def _owner(session: AsyncSession, data: IpRecordCreate, actor: Actor) -> uuid.UUID:
    if data.owner_id is None or data.owner_id == actor.user_id:
        return actor.user_id
    if not actor.is_admin:
        raise IpOwnerNotAllowed("Leave owner_id out: the record is yours")
    if await session.get(User, data.owner_id) is None:
        raise IpOwnerNotFound(f"No user {data.owner_id}")
    return data.owner_id


def _jurisdiction(office: str) -> str:
    terms = {t["code"]: t for t in vocabularies.load("ip_offices")["terms"]}
    return str(terms[office].get("jurisdiction", office))


async def create(
    session: AsyncSession, data: IpRecordCreate, *, actor: Actor, when: AsOf
) -> IpRecord:
    """Register an IP record owned by the actor (or, for an administrator, by ``owner_id``)."""
    values = data.model_dump(exclude={"owner_id"})
    values["jurisdiction"] = data.jurisdiction or _jurisdiction(data.office)
    values["holders"] = values["holders"] or []
    owner_id = await _owner(session, data, actor)
    await links.check(
        session,
        user_id=owner_id,
        is_admin=actor.is_admin,
        initiative_id=data.initiative_id,
        listing_id=data.listing_id,
    )
    record = IpRecord(owner_id=owner_id, events=[], **values)
    record.summary_status = derive(record, when).summary
    session.add(record)
    await _flush_unique(session, record)
    await links.sync_listing(session, record.listing_id)
    return record


async def update(
    session: AsyncSession, record: IpRecord, data: IpRecordUpdate, *, actor: Actor, when: AsOf
) -> IpRecord:
    """Apply the fields that were sent and re-derive the status."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "holders" in changes:
        changes["holders"] = changes["holders"] or []
    await links.check(
        session,
        user_id=record.owner_id,
        is_admin=actor.is_admin,
        initiative_id=changes.get("initiative_id"),
        listing_id=changes.get("listing_id"),
    )
    previous_listing = record.listing_id
    for name, value in changes.items():
        setattr(record, name, value)
    await _flush_unique(session, record)
    await refresh(session, record, when=when)
    if previous_listing != record.listing_id:
        await links.sync_listing(session, previous_listing)
    if previous_listing != record.listing_id or changes.keys() & _NUMBERS:
        await links.sync_listing(session, record.listing_id)
    return record


async def delete(session: AsyncSession, record: IpRecord) -> None:
    listing_id = record.listing_id
    await session.delete(record)
    await session.flush()
    await links.sync_listing(session, listing_id)


async def list_page(
    session: AsyncSession,
    *,
    actor: Actor,
    owner_id: uuid.UUID | None,
    ip_type: str | None,
    office: str | None,
    status: str | None,
    initiative_id: uuid.UUID | None = None,
    listing_id: uuid.UUID | None = None,
    cursor: str | None,
    limit: int,
) -> tuple[list[IpRecord], str | None]:
    """The actor's records (an administrator's: everyone's), oldest first."""
    owner = owner_id if actor.is_admin else actor.user_id
    stmt = select(IpRecord).options(selectinload(IpRecord.events))
    for column, value in (
        (IpRecord.owner_id, owner),
        (IpRecord.ip_type, ip_type),
        (IpRecord.office, office),
        (IpRecord.summary_status, status),
        (IpRecord.initiative_id, initiative_id),
        (IpRecord.listing_id, listing_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    purpose = f"ip-records:{'all' if actor.is_admin else actor.user_id}"
    order = (IpRecord.created_at, IpRecord.id)
    return await keyset_page(
        session, stmt, order=order, cursor=cursor, limit=limit, purpose=purpose
    )


async def refresh(session: AsyncSession, record: IpRecord, *, when: AsOf) -> Derived:
    """Store the derived summary status when it changed."""
    derived = derive(record, when)
    if record.summary_status != derived.summary:
        record.summary_status = derived.summary
        await session.flush()
        await links.sync_listing(session, record.listing_id)
    return derived


async def with_events(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[IpRecord]:
    rows = await session.scalars(
        select(IpRecord).where(IpRecord.id.in_(ids)).options(selectinload(IpRecord.events))
    )
    return list(rows)
