"""Organisations administered by operators."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.core.pagination import keyset_page
from app.models import Organisation
from app.schemas.organisation import OrganisationCreate, OrganisationUpdate


class OrganisationNotFound(NotFound):
    slug, title = "organisation-not-found", "Organisation not found"


class TaxCodeTaken(Conflict):
    slug, title = "tax-code-taken", "Tax code already registered"


async def _flush_unique(session: AsyncSession, tax_code: str | None) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise TaxCodeTaken(f"Tax code {tax_code} belongs to another organisation") from exc


async def create(session: AsyncSession, data: OrganisationCreate) -> Organisation:
    """Register an organisation."""
    values = data.model_dump(mode="json")
    organisation = Organisation(**values)
    session.add(organisation)
    await _flush_unique(session, data.tax_code)
    return organisation


async def get(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationNotFound(f"No organisation {organisation_id}")
    return organisation


async def list_page(
    session: AsyncSession, *, kind: str | None, province: str | None, cursor: str | None, limit: int
) -> tuple[list[Organisation], str | None]:
    """Organisations in creation order, filtered by kind and province."""
    stmt = select(Organisation)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if province:
        stmt = stmt.where(Organisation.province == province)
    return await keyset_page(
        session,
        stmt,
        order=(Organisation.created_at, Organisation.id),
        cursor=cursor,
        limit=limit,
        purpose="organisations",
    )


async def update(
    session: AsyncSession, organisation: Organisation, data: OrganisationUpdate
) -> Organisation:
    """Apply the fields that were sent; ``null`` clears an optional field."""
    for name, value in data.model_dump(mode="json", exclude_unset=True).items():
        setattr(organisation, name, value)
    await _flush_unique(session, organisation.tax_code)
    return organisation
