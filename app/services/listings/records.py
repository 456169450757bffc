"""Listings: create, read, update and renew technology offers and requests of an organisation."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import BindParameter, Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.core import lookups
from app.core.errors import Forbidden, NotFound, Unprocessable
from app.models import Listing, Organisation, User
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.schemas.listing import DEFAULT_LIFETIME, ListingCreate, ListingUpdate, Renewal
from app.services import vocabularies
from app.services.accounts.tokens import Principal
from app.services.federation import duplicates, feed
from app.services.search import filter_keys, ranking
from app.services.search.folding import search_keys
from app.services.search.sql import HIGH_WATER

# Roles that may publish listings: scientists, enterprises, funds (for their partners), operators.
AUTHOR_ROLES = frozenset({"scientist", "enterprise", "fund", "admin"})

# The metadata the content hash covers (provenance, timestamps and expiry are not content).
HASHED_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "strategic_group",
    "st_field",
    "ipc",
    "keywords",
    "trl",
    "ip_status",
    "transaction_types",
    "price_amount",
    "price_currency",
    "price_negotiable",
    "province",
    "status",
    "organisation_id",
)


class ListingNotFound(NotFound):
    slug, title = "listing-not-found", "Listing not found"


class OwnerUnknown(Unprocessable):
    slug, title = "owner-unknown", "No owner organisation"


@dataclass(frozen=True)
class Viewer:
    """Who reads or edits: members of a listing's organisation and administrators may edit it."""

    user_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    is_admin: bool = False

    def can_read(self, listing: Listing) -> bool:
        """Withdrawn listings are seen only by those who may edit them."""
        return listing.status != "withdrawn" or self.can_edit(listing)

    def can_edit(self, listing: Listing) -> bool:
        if listing.origin_exchange != LOCAL_EXCHANGE:
            return False  # single writer: only the origin exchange changes its records
        if self.is_admin:
            return True
        return self.organisation_id is not None and self.organisation_id == listing.organisation_id


ANONYMOUS = Viewer()


def viewer_of(principal: Principal | None) -> Viewer:
    if principal is None or principal.kind != "user" or principal.user_id is None:
        return ANONYMOUS
    return Viewer(
        user_id=principal.user_id,
        organisation_id=principal.organisation_id,
        is_admin="admin" in principal.roles,
    )


@lru_cache(maxsize=65_536)
def _word_keys(word: str) -> tuple[str, str]:
    return search_keys(word)


def word_cached_keys(text: str) -> tuple[str, str]:
    """``search_keys`` word by word, each word's keys cached: the same result (neither key joins
    or splits words across whitespace), far faster on Vietnamese text, whose syllables repeat.
    For batches of records (push, harvest)."""
    pairs = [_word_keys(word) for word in text.split()]
    exact = " ".join(filter(None, (pair[0] for pair in pairs)))
    return exact, " ".join(filter(None, (pair[1] for pair in pairs)))


def search_columns(
    values: dict[str, Any], *, keys: Callable[[str], tuple[str, str]] = search_keys
) -> dict[str, str]:
    """The folded and exact columns search indexes and ranks, and the filter keys it indexes
    beside them, from a listing's column values. The fields ranking weighs are stored with a
    space each side (``ranking.padded``), so that finding a whole word in one is a single
    substring search."""
    fields = {
        "title": list((values["title"] or {}).values()),
        "keywords": list(values.get("keywords") or []),
        "summary": list((values["summary"] or {}).values()),
        "rest": [*(values.get("description") or {}).values(), " ".join(values.get("ipc") or [])],
    }
    pairs = {name: [keys(text) for text in parts if text] for name, parts in fields.items()}
    columns: dict[str, str] = {}
    for level, prefix in enumerate(("exact", "search")):
        texts = {
            name: " ".join(filter(None, (pair[level] for pair in found)))
            for name, found in pairs.items()
        }
        columns[f"{prefix}_text"] = " ".join(filter(None, texts.values()))
        for name in ("title", "keywords", "summary"):
            columns[f"{prefix}_{name}"] = ranking.padded(texts[name])
    columns["filter_keys"] = filter_keys.listing_keys(values)
    return columns


def content_hash(values: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the hashed fields."""
    metadata = {name: values.get(name) for name in HASHED_FIELDS}
    # Hashed only when present, so records without IP numbers keep the hash peers already hold.
    if values.get("ip_numbers"):
        metadata["ip_numbers"] = values["ip_numbers"]
    if values.get("extensions"):
        metadata["extensions"] = values["extensions"]
    metadata["organisation_id"] = str(metadata["organisation_id"])
    canonical = json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def derived_columns(
    values: dict[str, Any], *, keys: Callable[[str], tuple[str, str]] = search_keys
) -> dict[str, str]:
    """Search columns and content hash: computed for every insert and update. ``keys`` may be a
    faster equivalent of ``search_keys`` (bulk loads cache repeated text)."""
    return {**search_columns(values, keys=keys), "content_hash": content_hash(values)}


def column_values(data: ListingCreate) -> dict[str, Any]:
    """The listing columns a complete record sets (price split, owner and expiry left out)."""
    return _column_values(data, exclude_unset=False)


async def _published(session: AsyncSession, listing: Listing) -> None:
    await feed.record(
        session,
        op="upsert",
        listing_id=listing.id,
        origin_exchange=listing.origin_exchange,
        origin_id=listing.origin_id,
        version=listing.version,
    )


def _column_values(data: ListingCreate | ListingUpdate, *, exclude_unset: bool) -> dict[str, Any]:
    values = data.model_dump(
        mode="json",
        exclude_unset=exclude_unset,
        exclude={"price", "expires_at", "organisation_id"},
    )
    if "price" in data.model_fields_set or not exclude_unset:
        price = data.price
        values["price_amount"] = price.amount if price else None
        values["price_currency"] = price.currency if price else None
        values["price_negotiable"] = price.negotiable if price else None
    return values


async def _owner(
    session: AsyncSession, data: ListingCreate, *, by: User, admin: bool
) -> Organisation:
    organisation_id = data.organisation_id or by.organisation_id
    if data.organisation_id and data.organisation_id != by.organisation_id and not admin:
        raise Forbidden("Only administrators may list a technology for another organisation")
    organisation = await session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        raise OwnerUnknown(
            "Name the owner organisation: your account belongs to none, or it does not exist",
            extra={
                "errors": [
                    {"loc": ["body", "organisation_id"], "msg": "required", "type": "missing"}
                ]
            },
        )
    return organisation


async def create(
    session: AsyncSession, data: ListingCreate, *, by: User, viewer: Viewer
) -> Listing:
    """Publish a listing owned by the author's organisation (or, for admins, the one named)."""
    organisation = await _owner(session, data, by=by, admin=viewer.is_admin)
    listing_id = uuid.uuid4()
    values = _column_values(data, exclude_unset=False)
    if values["province"] is None and organisation.province in vocabularies.codes("provinces"):
        values["province"] = organisation.province
    values.update(
        id=listing_id,
        organisation_id=organisation.id,
        created_by_id=by.id,
        expires_at=data.expires_at or utcnow() + DEFAULT_LIFETIME,
        origin_exchange=LOCAL_EXCHANGE,
        origin_id=str(listing_id),
    )
    listing = Listing(**values, **derived_columns(values))
    listing.organisation = organisation
    session.add(listing)
    await session.flush()
    await duplicates.refresh(session, listing.id)
    await _published(session, listing)
    return listing


async def get_visible(session: AsyncSession, listing_id: uuid.UUID, *, viewer: Viewer) -> Listing:
    """A listing the viewer may read: withdrawn ones only for their organisation and admins."""
    # One statement: the organisation is joined, not fetched by a second query.
    listing = await session.scalar(
        select(Listing).where(Listing.id == listing_id).options(joinedload(Listing.organisation))
    )
    if listing is None or not viewer.can_read(listing):
        raise ListingNotFound(f"No listing {listing_id}")
    return listing


_LISTING_COLUMNS = len(lookups.columns(Listing))
# The public read of one listing: the listing and its organisation in one statement (without
# the folded search text, most of a row's bytes).
_LISTING_BY_ID = (
    select(*lookups.columns(Listing), *lookups.columns(Organisation))
    .join(Organisation, Organisation.id == Listing.organisation_id)
    .where(Listing.id == bindparam("listing_id"))
)


# Listings by seq, for a page of search hits: one statement per size of page, each with that
# many seq parameters (a smaller page repeats its last seq).
_PAGE_SIZES = (8, 32, 128, 512)


@lru_cache(maxsize=len(_PAGE_SIZES))
def _listings_by_seq(size: int) -> Any:
    seqs: list[BindParameter[int]] = [bindparam(f"seq_{n}", type_=Integer) for n in range(size)]
    return (
        select(*lookups.columns(Listing), *lookups.columns(Organisation))
        .join(Organisation, Organisation.id == Listing.organisation_id)
        .where(Listing.seq.in_(seqs))
    )


async def read_by_seq(
    sessions: async_sessionmaker[AsyncSession], seqs: list[int]
) -> dict[int, Listing]:
    """The listings with these seqs (with their organisations), for reading only, as
    ``read_visible`` reads one: each kept while the database is unchanged, those not kept read
    in one statement. Who may see them is the caller's to have decided; a seq with no listing
    is left out."""

    async def read(keys: list[Hashable]) -> dict[Hashable, Listing]:
        wanted = [cast(tuple[str, int], key)[1] for key in keys]
        found: dict[Hashable, Listing] = {}
        for start in range(0, len(wanted), _PAGE_SIZES[-1]):
            part = wanted[start : start + _PAGE_SIZES[-1]]
            size = next(size for size in _PAGE_SIZES if size >= len(part))
            values = {f"seq_{n}": part[min(n, len(part) - 1)] for n in range(size)}
            for row in await lookups.fetch(sessions, _listings_by_seq(size), values):
                listing = lookups.for_reading(Listing, row)
                organisation = lookups.for_reading(Organisation, row[_LISTING_COLUMNS:])
                set_committed_value(listing, "organisation", organisation)
                found[("listing-seq", listing.seq)] = listing
        return found

    keys: list[Hashable] = [("listing-seq", seq) for seq in dict.fromkeys(seqs)]
    kept = await lookups.remembered_each(sessions, keys, read)
    return {cast(tuple[str, int], key)[1]: listing for key, listing in kept.items()}


async def high_water(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The highest listing seq, kept while the database is unchanged: the snapshot a first page
    of search results is taken at, without a statement of its own in the search's session."""

    async def read() -> int:
        rows = await lookups.fetch(sessions, HIGH_WATER, {})
        return int(rows[0][0])

    return await lookups.remembered(sessions, ("listing-high-water",), read)


async def read_visible(
    sessions: async_sessionmaker[AsyncSession], listing_id: uuid.UUID, *, viewer: Viewer
) -> Listing:
    """``get_visible`` for reading only: one lookup outside any session (``app.core.lookups``);
    the listing comes back with its organisation, both for reading only (never to be added to
    a session, never changed: the same instance may answer other requests)."""

    async def read() -> Listing:
        rows = await lookups.fetch(sessions, _LISTING_BY_ID, {"listing_id": listing_id})
        if not rows:
            raise ListingNotFound(f"No listing {listing_id}")
        listing = lookups.for_reading(Listing, rows[0])
        organisation = lookups.for_reading(Organisation, rows[0][_LISTING_COLUMNS:])
        set_committed_value(listing, "organisation", organisation)
        return listing

    # Kept while the database is unchanged (``app.core.lookups``); who may see it is decided
    # at every request.
    listing = await lookups.remembered(sessions, ("listing", listing_id), read)
    if not viewer.can_read(listing):
        raise ListingNotFound(f"No listing {listing_id}")
    return listing


async def get_editable(session: AsyncSession, listing_id: uuid.UUID, *, viewer: Viewer) -> Listing:
    """A listing the viewer may change; any other answers 404, as if it did not exist."""
    listing = await get_visible(session, listing_id, viewer=viewer)
    if not viewer.can_edit(listing):
        raise ListingNotFound(f"No listing {listing_id} that you can edit")
    return listing


def _current_values(listing: Listing) -> dict[str, Any]:
    return {name: getattr(listing, name) for name in (*HASHED_FIELDS, "ip_numbers")}


async def update(session: AsyncSession, listing: Listing, data: ListingUpdate) -> Listing:
    """Apply the fields that were sent; the version and content hash follow."""
    for name, value in _column_values(data, exclude_unset=True).items():
        setattr(listing, name, value)
    for name, value in derived_columns(_current_values(listing)).items():
        setattr(listing, name, value)
    await session.flush()
    await duplicates.refresh(session, listing.id)
    await _published(session, listing)
    return listing


async def renew(session: AsyncSession, listing: Listing, data: Renewal) -> Listing:
    """Move the expiry date forward (default: one year from now); an expired listing reopens."""
    listing.expires_at = data.expires_at or utcnow() + DEFAULT_LIFETIME
    if listing.status == "expired":
        listing.status = "active"
        listing.content_hash = content_hash(_current_values(listing))
    await session.flush()
    await _published(session, listing)
    return listing


async def set_ip_status(session: AsyncSession, listing: Listing, status: str) -> None:
    """Follow the linked IP records; the content hash covers ``ip_status``, so it moves too."""
    if listing.ip_status == status:
        return
    listing.ip_status = status
    listing.content_hash = content_hash(_current_values(listing))
    await session.flush()
    await _published(session, listing)
