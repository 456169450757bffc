"""OAI-PMH 2.0 over the exchange's listings (design section 6, interoperability).

Items are the listings this instance holds and the tombstones of deleted ones. A listing whose
status is public (``active``, ``closed``) is a record with ``oai_dc`` metadata; a withdrawn
listing or a tombstone is a deleted record (header ``status="deleted"``, no metadata), so a
harvester learns of withdrawals and federated deletes alike. Datestamps are ``updated_at`` for
listings and ``changed_at`` for tombstones; list verbs page by keyset on ``(datestamp, id)``.

``deletedRecord`` is ``persistent`` while tombstones are kept for good (the default) and
``transient`` when ``sync.tombstone_retention_days`` makes maintenance purge them, since a
harvest starting before that horizon may then miss a deletion.
Datestamps are taken when a change is written, not when it commits, so an incremental harvest
should start its ``from`` a little before the previous harvest's ``responseDate``.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Uuid, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from app.models import ChangeEntry, Listing
from app.models.base import UTCDateTime, utcnow
from app.services import vocabularies
from app.services.federation import oai_xml
from app.services.federation.oai_args import (
    LIST_VERBS,
    ListQuery,
    OaiError,
    Position,
    date_range,
    encode_token,
    parse,
)
from app.services.federation.oai_args import list_query as parse_list_query

PUBLIC = frozenset({"active", "closed"})
KINDS = {"offer": "Technology offers", "request": "Technology requests"}
OAI_DC = "oai_dc"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Window = tuple[datetime | None, datetime | None]


@dataclass(frozen=True)
class Repository:
    """Where the repository answers and how it names its items."""

    name: str
    base_url: str
    listing_url: str  # prefix; the listing id is appended
    repository_id: str
    admin_email: str
    page_size: int
    deleted_record: str  # "persistent" or "transient"

    def identifier(self, listing_id: uuid.UUID) -> str:
        return f"oai:{self.repository_id}:listing:{listing_id}"

    def listing_id(self, identifier: str) -> uuid.UUID:
        prefix = f"oai:{self.repository_id}:listing:"
        try:
            if not identifier.startswith(prefix):
                raise ValueError(identifier)
            return uuid.UUID(identifier.removeprefix(prefix))
        except ValueError as exc:
            raise OaiError("idDoesNotExist", f"No item {identifier}") from exc


@dataclass(frozen=True)
class Item:
    id: uuid.UUID
    datestamp: datetime
    listing: Listing | None  # None for a tombstone

    @property
    def deleted(self) -> bool:
        return self.listing is None or self.listing.status not in PUBLIC

    @property
    def sets(self) -> list[str]:
        if self.listing is None:
            return []
        return [f"kind:{self.listing.kind}", f"group:{self.listing.strategic_group}"]


def _set_filter(spec: str | None) -> list[ColumnElement[bool]]:
    if spec is None:
        return []
    if spec in ("kind", "group"):
        return []
    kind, _, code = spec.partition(":")
    if kind == "kind" and code in KINDS:
        return [Listing.kind == code]
    if kind == "group" and code in vocabularies.codes("strategic_groups"):
        return [Listing.strategic_group == code]
    raise OaiError("noRecordsMatch", f"No set {spec}")


def _after(
    stamp: InstrumentedAttribute[datetime], key: InstrumentedAttribute[uuid.UUID], at: Position
) -> ColumnElement[bool]:
    """Strictly after ``at`` in ``(datestamp, id)`` order (values bound as the columns' types)."""
    return tuple_(stamp, key) > tuple_(literal(at.datestamp, UTCDateTime()), literal(at.id, Uuid()))


async def _listings(
    session: AsyncSession, query: ListQuery, window: Window, limit: int
) -> list[Item]:
    start, stop = window
    stmt = select(Listing).options(selectinload(Listing.organisation))
    stmt = stmt.where(*_set_filter(query.set_spec))
    if start is not None:
        stmt = stmt.where(Listing.updated_at >= start)
    if stop is not None:
        stmt = stmt.where(Listing.updated_at < stop)
    if query.after is not None:
        stmt = stmt.where(_after(Listing.updated_at, Listing.id, query.after))
    stmt = stmt.order_by(Listing.updated_at, Listing.id).limit(limit)
    return [Item(row.id, row.updated_at, row) for row in await session.scalars(stmt)]


async def _tombstones(
    session: AsyncSession, query: ListQuery, window: Window, limit: int
) -> list[Item]:
    start, stop = window
    # A tombstone no longer knows its listing's sets: set harvests get every deletion, so a
    # selective harvester never keeps a record that was deleted (unknown ids are ignored).
    stmt = select(ChangeEntry).where(ChangeEntry.op == "delete")
    if start is not None:
        stmt = stmt.where(ChangeEntry.changed_at >= start)
    if stop is not None:
        stmt = stmt.where(ChangeEntry.changed_at < stop)
    if query.after is not None:
        stmt = stmt.where(_after(ChangeEntry.changed_at, ChangeEntry.listing_id, query.after))
    stmt = stmt.order_by(ChangeEntry.changed_at, ChangeEntry.listing_id)
    rows = await session.scalars(stmt.limit(limit))
    return [Item(row.listing_id, row.changed_at, None) for row in rows]


async def _page(session: AsyncSession, repo: Repository, query: ListQuery) -> list[Item]:
    """The next page of items in ``(datestamp, id)`` order, plus one to tell if more follow."""
    if query.prefix != OAI_DC:
        raise OaiError("cannotDisseminateFormat", f"Only {OAI_DC} is disseminated")
    window = date_range(query.from_, query.until)
    items = await _listings(session, query, window, repo.page_size + 1)
    items += await _tombstones(session, query, window, repo.page_size + 1)
    items.sort(key=lambda item: (item.datestamp, item.id))
    return items[: repo.page_size + 1]


async def _item(session: AsyncSession, repo: Repository, identifier: str) -> Item:
    listing_id = repo.listing_id(identifier)
    stmt = select(Listing).where(Listing.id == listing_id)
    listing = await session.scalar(stmt.options(selectinload(Listing.organisation)))
    if listing is not None:
        return Item(listing.id, listing.updated_at, listing)
    stone = await session.scalar(
        select(ChangeEntry).where(ChangeEntry.listing_id == listing_id, ChangeEntry.op == "delete")
    )
    if stone is None:
        raise OaiError("idDoesNotExist", f"No item {identifier}")
    return Item(stone.listing_id, stone.changed_at, None)


def _header(parent: ET.Element, repo: Repository, item: Item) -> None:
    oai_xml.header(
        parent,
        identifier=repo.identifier(item.id),
        stamp=item.datestamp,
        sets=item.sets,
        deleted=item.deleted,
    )


def _record(parent: ET.Element, repo: Repository, item: Item) -> None:
    record = oai_xml.child(parent, "record")
    _header(record, repo, item)
    if item.listing is not None and not item.deleted:
        label = vocabularies.labels("strategic_groups").get(item.listing.strategic_group, {})
        url = f"{repo.listing_url}{item.id}"
        oai_xml.oai_dc(record, item.listing, url=url, group_label=label.get("en"))


async def _earliest(session: AsyncSession) -> datetime:
    listed = await session.scalar(select(func.min(Listing.updated_at)))
    deleted = await session.scalar(
        select(func.min(ChangeEntry.changed_at)).where(ChangeEntry.op == "delete")
    )
    return min((stamp for stamp in (listed, deleted) if stamp is not None), default=EPOCH)


async def identify(session: AsyncSession, repo: Repository, args: dict[str, str]) -> ET.Element:
    """Who the repository is, its earliest datestamp and how it keeps deletions."""
    element = ET.Element(oai_xml.oai("Identify"))
    for tag, text in (
        ("repositoryName", repo.name),
        ("baseURL", repo.base_url),
        ("protocolVersion", "2.0"),
        ("adminEmail", repo.admin_email),
        ("earliestDatestamp", oai_xml.datestamp(await _earliest(session))),
        ("deletedRecord", repo.deleted_record),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
    ):
        oai_xml.child(element, tag, text)
    return element


async def list_metadata_formats(
    session: AsyncSession, repo: Repository, args: dict[str, str]
) -> ET.Element:
    """``oai_dc``, the one format every item (deleted ones included) is disseminated in."""
    if "identifier" in args:
        await _item(session, repo, args["identifier"])
    element = ET.Element(oai_xml.oai("ListMetadataFormats"))
    fmt = oai_xml.child(element, "metadataFormat")
    oai_xml.child(fmt, "metadataPrefix", OAI_DC)
    oai_xml.child(fmt, "schema", oai_xml.OAI_DC_SCHEMA)
    oai_xml.child(fmt, "metadataNamespace", oai_xml.OAI_DC_NS)
    return element


def _sets() -> list[tuple[str, str]]:
    groups = vocabularies.labels("strategic_groups")
    return [
        ("kind", "Listings by kind"),
        *((f"kind:{code}", name) for code, name in KINDS.items()),
        ("group", "Listings by strategic technology group"),
        *((f"group:{code}", label["en"]) for code, label in groups.items()),
    ]


async def list_sets(session: AsyncSession, repo: Repository, args: dict[str, str]) -> ET.Element:
    """Sets by listing kind and by strategic technology group; one short list, no tokens."""
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets issues no resumption tokens")
    element = ET.Element(oai_xml.oai("ListSets"))
    for spec, name in _sets():
        entry = oai_xml.child(element, "set")
        oai_xml.child(entry, "setSpec", spec)
        oai_xml.child(entry, "setName", name)
    return element


async def get_record(session: AsyncSession, repo: Repository, args: dict[str, str]) -> ET.Element:
    """One item: its record, or its header alone when it is deleted."""
    item = await _item(session, repo, args["identifier"])
    if args["metadataPrefix"] != OAI_DC:
        raise OaiError("cannotDisseminateFormat", f"Only {OAI_DC} is disseminated")
    element = ET.Element(oai_xml.oai("GetRecord"))
    _record(element, repo, item)
    return element


async def list_items(
    session: AsyncSession, repo: Repository, verb: str, args: dict[str, str]
) -> ET.Element:
    """A page of headers or records; a resumption token when more follow, empty on the last."""
    query = parse_list_query(verb, args)
    items = await _page(session, repo, query)
    if not items:
        raise OaiError("noRecordsMatch", "No items match these arguments")
    page, more = items[: repo.page_size], len(items) > repo.page_size
    element = ET.Element(oai_xml.oai(verb))
    for item in page:
        (_record if verb == "ListRecords" else _header)(element, repo, item)
    token = None
    if more:
        last = Position(page[-1].datestamp, page[-1].id)
        token = encode_token(query, last, query.cursor + len(page))
    if more or query.after is not None:
        oai_xml.child(element, "resumptionToken", token, cursor=str(query.cursor))
    return element


async def respond(session: AsyncSession, repo: Repository, pairs: list[tuple[str, str]]) -> bytes:
    """The OAI-PMH response document to a request's arguments (errors included)."""
    root = oai_xml.envelope(now=utcnow(), base_url=repo.base_url, request_args=dict(pairs))
    try:
        verb, args = parse(pairs)
        if verb in LIST_VERBS:
            body = await list_items(session, repo, verb, args)
        else:
            body = await HANDLERS[verb](session, repo, args)
        root.append(body)
    except OaiError as exc:
        if exc.code in ("badVerb", "badArgument"):
            root.find(oai_xml.oai("request")).attrib.clear()  # type: ignore[union-attr]
        oai_xml.error(root, exc.code, exc.message)
    return oai_xml.serialise(root)


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
}
