"""Duplicates across exchanges (federation requirement 13): clusters from strong identifiers.

A listing's strong identifiers are its IP numbers: those in its metadata (``ip_numbers``, which
pushed and harvested records carry) and those of the local IP records linked to it. Each is
stored as a normalised key (``ip_key``); listings that share a key, directly or through other
listings, form a cluster. Clusters are computed when read, from the keys, so they are never
stale and nothing is ever merged: every record keeps its own id, provenance and content.
Fuzzy matches (similar title and owner) are only suggestions (``duplicate_suggestions``).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import IpRecord, Listing, ListingIdentifier
from app.models.base import utcnow
from app.schemas.duplicate import ClusterMember, DuplicateRef, Duplicates, Reason, Suggestion
from app.services.federation import duplicate_suggestions
from app.services.federation.duplicate_suggestions import Match, Reader
from app.services.listings.projection import source_read

IP = "ip"
# Numbers written without an office prefix ("1-2019-01234") are Vietnamese office numbers.
DEFAULT_OFFICE = "VN"
MAX_CLUSTER = 50
MAX_KEY_LENGTH = 80

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def ip_key(number: str, *, office: str = DEFAULT_OFFICE) -> str | None:
    """The canonical form of an IP number, or ``None`` when it cannot identify anything.

    NFKC (full-width digits and letters become ASCII), upper case, then every character other
    than A-Z and 0-9 dropped: spaces, dots, dashes, slashes and commas are only how offices
    print numbers. A number that starts with a digit gets the office code in front, so
    ``"VN 1-2019-01234"``, ``"1.2019.01234"`` and ``"１２０１９０１２３４"`` are all
    ``"VN1201901234"``. Kind codes (``A``, ``B1``) are kept: they are part of what was written.
    """
    compact = _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", number).upper())
    if len(compact) < 4 or not any(ch.isdigit() for ch in compact):
        return None
    if compact[0].isdigit():
        compact = _NOT_ALNUM.sub("", office.upper()) + compact
    return compact[:MAX_KEY_LENGTH]


def ip_keys(numbers: Iterable[str | None], *, office: str = DEFAULT_OFFICE) -> set[str]:
    """The keys of the numbers that identify something."""
    keys = (ip_key(number, office=office) for number in numbers if number)
    return {key for key in keys if key is not None}


async def _current_keys(session: AsyncSession, listing_id: uuid.UUID) -> set[str]:
    numbers = await session.scalar(select(Listing.ip_numbers).where(Listing.id == listing_id))
    if numbers is None:
        return set()  # the listing is gone: it leaves every cluster
    keys = ip_keys(numbers)
    records = await session.execute(
        select(
            IpRecord.office,
            IpRecord.application_number,
            IpRecord.publication_number,
            IpRecord.registration_number,
        ).where(IpRecord.listing_id == listing_id)
    )
    for office, *record_numbers in records:
        keys |= ip_keys(record_numbers, office=office)
    return keys


async def refresh(session: AsyncSession, listing_id: uuid.UUID | None) -> None:
    """Store the identifier keys of the listing as they are now (none once it is deleted)."""
    if listing_id is None:
        return
    keys = await _current_keys(session, listing_id)
    await session.execute(
        delete(ListingIdentifier).where(ListingIdentifier.listing_id == listing_id)
    )
    if keys:
        rows = [{"listing_id": listing_id, "kind": IP, "key": key} for key in sorted(keys)]
        await session.execute(insert(ListingIdentifier), rows)


async def add_new(session: AsyncSession, listing_id: uuid.UUID, numbers: list[str]) -> None:
    """The keys of a listing inserted a moment ago from a record: its numbers alone, since no
    IP record links to a pushed or harvested listing, and keys go with a deleted listing."""
    keys = ip_keys(numbers)
    if keys:
        rows = [{"listing_id": listing_id, "kind": IP, "key": key} for key in sorted(keys)]
        await session.execute(insert(ListingIdentifier), rows)


@dataclass(frozen=True)
class Report:
    """A listing's keys, the other visible members of its cluster, and fuzzy suggestions."""

    identifiers: list[str]
    cluster: list[tuple[Listing, list[str]]]
    suggestions: list[Match]


async def _keys_by_listing(
    session: AsyncSession, listing_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    rows = await session.execute(
        select(ListingIdentifier.listing_id, ListingIdentifier.key).where(
            ListingIdentifier.kind == IP, ListingIdentifier.listing_id.in_(list(listing_ids))
        )
    )
    found: dict[uuid.UUID, set[str]] = {}
    for listing_id, key in rows:
        found.setdefault(listing_id, set()).add(key)
    return found


async def _sharing(
    session: AsyncSession, keys: set[str], *, besides: set[uuid.UUID], limit: int
) -> list[Listing]:
    holders = select(ListingIdentifier.listing_id).where(
        ListingIdentifier.kind == IP, ListingIdentifier.key.in_(sorted(keys))
    )
    found = await session.scalars(
        select(Listing)
        .where(Listing.id.in_(holders), Listing.id.not_in(besides))
        .options(selectinload(Listing.organisation))
        .order_by(Listing.seq)
        .limit(limit)
    )
    return list(found)


async def _component(session: AsyncSession, start: Listing, *, viewer: Reader) -> list[Listing]:
    """The listings the viewer may read that are linked to ``start`` by shared keys.

    Only readable listings link others, so a hidden record never reveals a connection.
    """
    members, seen_keys, frontier = [start], set[str](), {start.id}
    while frontier and len(members) < MAX_CLUSTER:
        keys = set().union(*(await _keys_by_listing(session, frontier)).values()) - seen_keys
        seen_keys |= keys
        if not keys:
            break
        besides = {member.id for member in members}
        found = await _sharing(session, keys, besides=besides, limit=MAX_CLUSTER - len(members))
        readable = [listing for listing in found if viewer.can_read(listing)]
        members += readable
        frontier = {listing.id for listing in readable}
    return members


async def find(session: AsyncSession, listing: Listing, *, viewer: Reader) -> Report:
    """The duplicates of a listing the viewer may read, as the viewer may see them."""
    members = await _component(session, listing, viewer=viewer)
    keys = await _keys_by_listing(session, [member.id for member in members])
    counts = Counter(key for member_keys in keys.values() for key in member_keys)
    cluster = [
        (member, sorted(k for k in keys.get(member.id, ()) if counts[k] > 1))
        for member in members[1:]
    ]
    suggestions = await duplicate_suggestions.suggest(
        session, listing, viewer=viewer, exclude={member.id for member in members}
    )
    return Report(sorted(keys.get(listing.id, ())), cluster, suggestions)


def _ref(listing: Listing) -> dict[str, object]:
    return {
        "id": listing.id,
        "title": listing.title,
        "owner": listing.organisation.name,
        "status": listing.status_at(utcnow()),
        "source": source_read(listing),
    }


def report_read(listing: Listing, report: Report) -> Duplicates:
    """The report as the wire shows it: cluster members and suggestions, never merged."""
    return Duplicates(
        id=listing.id,
        identifiers=report.identifiers,
        cluster=[
            ClusterMember.model_validate({**_ref(member), "identifiers": shared})
            for member, shared in report.cluster
        ],
        suggestions=[
            Suggestion(
                listing=DuplicateRef.model_validate(_ref(match.listing)),
                score=match.score,
                reasons=[Reason(field=f, similarity=v) for f, v in match.reasons.items()],
            )
            for match in report.suggestions
        ],
    )
