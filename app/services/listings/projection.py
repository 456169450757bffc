"""A listing as readers see it: the stored row projected onto the wire contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Listing
from app.models.base import utcnow
from app.schemas.listing import ListingRead, OwnerRead, Price, SourceRead

_COPIED = (
    "id",
    "kind",
    "title",
    "summary",
    "description",
    "strategic_group",
    "st_field",
    "ipc",
    "keywords",
    "ip_numbers",
    "trl",
    "ip_status",
    "transaction_types",
    "province",
    "expires_at",
    "version",
    "content_hash",
    "created_at",
    "updated_at",
)


def listing_read(listing: Listing, *, now: datetime | None = None) -> ListingRead:
    """The record as readers see it (the organisation must be loaded)."""
    return ListingRead(**listing_fields(listing, now=now))


def listing_fields(listing: Listing, *, now: datetime | None = None) -> dict[str, Any]:
    """The fields of ``ListingRead`` (and of the models that extend it) for a stored row."""
    price = None
    if listing.price_currency is not None:
        price = Price(
            amount=listing.price_amount,
            currency=listing.price_currency,
            negotiable=bool(listing.price_negotiable),
        )
    texts = [listing.title, listing.summary, listing.description or {}]
    return dict(
        **{name: getattr(listing, name) for name in _COPIED},
        price=price,
        owner=OwnerRead.model_validate(listing.organisation, from_attributes=True),
        language=[lang for lang in ("vi", "en") if any(t.get(lang) for t in texts)],
        status=listing.status_at(now or utcnow()),
        source=source_read(listing),
        extensions=listing.extensions or {},
    )


def source_read(listing: Listing) -> SourceRead:
    """Provenance: the origin exchange, the record's id and version there."""
    return SourceRead(
        exchange=listing.origin_exchange,
        source_id=listing.origin_id,
        version=listing.version,
        url=listing.origin_url,
    )
