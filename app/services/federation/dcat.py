"""The DCAT(-AP) catalogue of published listings, as JSON-LD, one cursor page at a time.

Each listing is a ``dcat:Dataset`` (a ``dcat:Resource``) entry of one ``dcat:Catalog``,
described with the listing standard's JSON-LD terms
(``app.services.listings.standard.CONTEXT``) plus
the DCAT-AP ones it lacks (issued, modified, conformsTo, landing page); pages link to the next
one with ``hydra:next``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.pagination import keyset_page
from app.models import Listing
from app.services.listings.standard import CONTEXT

PURPOSE = "dcat-catalogue"
PUBLIC = ("active", "closed")

CATALOGUE_CONTEXT: dict[str, Any] = {
    **CONTEXT,
    "foaf": "http://xmlns.com/foaf/0.1/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "dataset": {"@id": "dcat:dataset", "@container": "@set"},
    "publisher": "dct:publisher",
    "issued": {"@id": "dct:issued", "@type": "xsd:dateTime"},
    "modified": {"@id": "dct:modified", "@type": "xsd:dateTime"},
    "conforms_to": {"@id": "dct:conformsTo", "@type": "@id"},
    "landing_page": {"@id": "dcat:landingPage", "@type": "@id"},
    "view": "hydra:view",
    # Distributions of the open datasets listed beside the listings.
    "license": {"@id": "dct:license", "@type": "@id"},
    "accrual_periodicity": {"@id": "dct:accrualPeriodicity", "@type": "@id"},
    "distribution": {"@id": "dcat:distribution", "@container": "@set"},
    "access_url": {"@id": "dcat:accessURL", "@type": "@id"},
    "download_url": {"@id": "dcat:downloadURL", "@type": "@id"},
    "media_type": "dcat:mediaType",
    "next": {"@id": "hydra:next", "@type": "@id"},
}
_TYPES = {"offer": "schema:Offer", "request": "schema:Demand"}
TITLE = {"vi": "Danh mục công nghệ của sàn TechX", "en": "TechX technology listings"}
DESCRIPTION = {
    "vi": "Các chào bán và nhu cầu công nghệ đang công bố trên sàn.",
    "en": "Technology offers and requests published on the exchange.",
}


@dataclass(frozen=True)
class CatalogueUrls:
    """Absolute addresses the document names."""

    catalogue: str  # this endpoint, without query
    page: str  # the page requested
    listing: str  # prefix; the listing id is appended
    standard: str  # the metadata standard entries conform to
    publisher: str


def _entry(listing: Listing, urls: CatalogueUrls) -> dict[str, Any]:
    url = f"{urls.listing}{listing.id}"
    return {
        "@id": url,
        "@type": ["dcat:Dataset", "dcat:Resource", _TYPES[listing.kind]],
        "id": str(listing.id),
        "title": listing.title,
        # DCAT-AP requires a description: the summary is the listing's short description.
        "description": listing.summary,
        "keywords": listing.keywords,
        "issued": listing.created_at.isoformat(),
        "modified": listing.updated_at.isoformat(),
        "publisher": {"@type": "foaf:Agent", "foaf:name": listing.organisation.name},
        "conforms_to": urls.standard,
        "landing_page": url,
    }


async def catalogue(
    session: AsyncSession,
    *,
    urls: CatalogueUrls,
    cursor: str | None,
    limit: int,
    extra: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """One page of the catalogue: its published listings in insertion order, after the
    ``extra`` datasets (given for the first page: the open data)."""
    stmt = (
        select(Listing)
        .where(Listing.status.in_(PUBLIC))
        .options(selectinload(Listing.organisation))
    )
    rows, next_cursor = await keyset_page(
        session, stmt, order=(Listing.seq,), cursor=cursor, limit=limit, purpose=PURPOSE
    )
    view: dict[str, Any] = {"@id": urls.page, "@type": "hydra:PartialCollectionView"}
    if next_cursor:
        view["next"] = f"{urls.catalogue}?cursor={next_cursor}&limit={limit}"
    return {
        "@context": CATALOGUE_CONTEXT,
        "@id": urls.catalogue,
        "@type": "dcat:Catalog",
        "title": TITLE,
        "description": DESCRIPTION,
        "publisher": {"@type": "foaf:Agent", "foaf:name": urls.publisher},
        "conforms_to": urls.standard,
        "dataset": [*extra, *(_entry(listing, urls) for listing in rows)],
        "view": view,
    }
