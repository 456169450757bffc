"""Strong identifiers of listings: the normalised keys duplicate clusters are found by."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ListingIdentifier(Base):
    """One normalised identifier a listing carries; listings sharing a key form a cluster.

    Rows are derived (``app.services.federation.duplicates.refresh``) and go with their listing.
    """

    __tablename__ = "listing_identifiers"
    __table_args__ = (Index("ix_listing_identifiers_kind_key", "kind", "key"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
