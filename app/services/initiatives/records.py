"""Initiatives: drafting, who may see what (404 for the unseen), projections, frozen versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.models import Attachment, Initiative, InitiativeVersion, Organisation, Transition, User
from app.models.initiative import DRAFT, EDITABLE_STATES, PUBLIC_STATES, WITHDRAWN
from app.schemas.initiative import (
    InitiativeCreate,
    InitiativeRead,
    InitiativeSummary,
    InitiativeUpdate,
)
from app.services import audit
from app.services.accounts.tokens import Principal
from app.services.initiatives import access, coauthors, projection, stages
from app.services.ip import links
from app.services.search.folding import search_keys


class InitiativeNotFound(NotFound):
    slug, title = "initiative-not-found", "Initiative not found"


class VersionNotFound(NotFound):
    slug, title = "initiative-version-not-found", "Initiative version not found"


class InitiativeEditForbidden(Forbidden):
    slug, title = "initiative-edit-forbidden", "Only the owner changes an initiative"


class InitiativeNotEditable(Conflict):
    slug, title = "initiative-not-editable", "The initiative cannot be changed in its state"


class InitiativeReferenceUnknown(Unprocessable):
    slug, title = "initiative-reference-unknown", "The initiative names an unknown record"


@dataclass(frozen=True)
class Visible:
    """An initiative the caller may see, and why they may read it in full (``None``: public)."""

    initiative: Initiative
    basis: str | None


def _unknown(loc: list[str | int], what: str) -> InitiativeReferenceUnknown:
    error = {"loc": ["body", *loc], "msg": f"unknown {what}", "type": "unknown"}
    return InitiativeReferenceUnknown(f"No such {what}", extra={"errors": [error]})


async def _check_references(session: AsyncSession, initiative: Initiative) -> None:
    org = initiative.owner_organisation_id
    if org is not None and await session.get(Organisation, org) is None:
        raise _unknown(["owner_organisation_id"], "organisation")
    for index, author in enumerate(initiative.authors):
        user_id = author.get("user_id")
        if user_id and await session.get(User, uuid.UUID(str(user_id))) is None:
            raise _unknown(["authors", index, "user_id"], "user")


def _keys(parts: Iterable[str]) -> tuple[str, str]:
    """The exact and folded search keys of ``parts``, joined."""
    pairs = [search_keys(part) for part in parts if part]
    return " ".join(p[0] for p in pairs if p[0]), " ".join(p[1] for p in pairs if p[1])


def refresh_search_text(initiative: Initiative) -> None:
    initiative.public_exact, initiative.public_text = _keys(
        [
            *initiative.title.values(),
            *initiative.summary.values(),
            *initiative.keywords,
            *(initiative.results or {}).values(),
            *(str(author["name"]) for author in initiative.authors),
            *initiative.ipc,
        ]
    )
    initiative.private_exact, initiative.private_text = _keys(
        [*(initiative.description or {}).values(), *initiative.claims]
    )


def apply(initiative: Initiative, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "funding_sought":
            initiative.funding_amount = value["amount"] if value else None
            initiative.funding_currency = value["currency"] if value else None
        elif name == "owner_organisation_id":
            initiative.owner_organisation_id = uuid.UUID(value) if value else None
        elif name == "declarations":
            initiative.declares_no_infringement = bool(value and value["no_infringement"])
            initiative.declares_no_duplicate = bool(value and value["no_duplicate"])
        else:
            setattr(initiative, name, value)


async def create(session: AsyncSession, data: InitiativeCreate, *, by: User) -> Initiative:
    """Register a draft owned by ``by``."""
    initiative = Initiative(owner_id=by.id, state=DRAFT)
    apply(initiative, data.model_dump(mode="json"))
    await _check_references(session, initiative)
    refresh_search_text(initiative)
    session.add(initiative)
    await session.flush()
    await coauthors.reconcile(session, initiative)
    session.add(
        Transition(
            initiative_id=initiative.id,
            seq=1,
            from_state=None,
            to_state=DRAFT,
            actor_id=by.id,
            actor_role="owner",
            at=initiative.created_at,
        )
    )
    await audit.append(
        session,
        actor_id=by.id,
        action="initiative.created",
        subject_type="initiative",
        subject_id=initiative.id,
        data={"state": DRAFT},
    )
    return initiative


async def update(
    session: AsyncSession, initiative: Initiative, data: InitiativeUpdate, *, by: User
) -> None:
    """Apply the owner's changes to a draft or returned initiative."""
    require_editable(initiative)
    changes = data.model_dump(mode="json", exclude_unset=True)
    apply(initiative, changes)
    await _check_references(session, initiative)
    refresh_search_text(initiative)
    await session.flush()
    if "authors" in changes:
        await coauthors.reconcile(session, initiative)
    await audit.append(
        session,
        actor_id=by.id,
        action="initiative.updated",
        subject_type="initiative",
        subject_id=initiative.id,
        data={"fields": sorted(changes)},  # names only: the log must not copy confidential text
    )


def withdrawn_after_publication(initiative: Initiative) -> bool:
    """Once public, an initiative stays addressable (as ``withdrawn``) after a withdrawal."""
    return initiative.state == WITHDRAWN and initiative.published_at is not None


def require_editable(initiative: Initiative) -> None:
    if initiative.state not in EDITABLE_STATES:
        raise InitiativeNotEditable(
            f"A {initiative.state} initiative is frozen; it can change only when returned"
        )


async def get_visible(
    session: AsyncSession,
    initiative_id: uuid.UUID,
    *,
    principal: Principal | None,
    lock: bool = False,
) -> Visible:
    """The initiative if the caller may see it at all; 404 otherwise, never 403.

    ``lock`` takes the row for a change (PostgreSQL ``FOR UPDATE``) so concurrent moves queue.
    """
    initiative = await session.get(Initiative, initiative_id, with_for_update=lock)
    if initiative is None:
        raise InitiativeNotFound(f"No initiative {initiative_id}")
    basis = await access.read_basis(session, initiative, principal=principal)
    if (
        basis is not None
        or initiative.state in PUBLIC_STATES
        or withdrawn_after_publication(initiative)
    ):
        return Visible(initiative, basis)
    if await access.is_assigned_reviewer(session, initiative.id, principal=principal):
        return Visible(initiative, None)
    raise InitiativeNotFound(f"No initiative {initiative_id}")


async def get_readable(
    session: AsyncSession, initiative_id: uuid.UUID, *, principal: Principal | None
) -> Visible:
    """The initiative if the caller may read its confidential content; 404 otherwise."""
    visible = await get_visible(session, initiative_id, principal=principal)
    if visible.basis is None:
        raise InitiativeNotFound(f"No initiative {initiative_id}")
    return visible


async def get_owner_side(
    session: AsyncSession, initiative_id: uuid.UUID, *, principal: Principal | None
) -> Initiative:
    """The initiative for its owner, authors and administrators; 404 for anyone else."""
    visible = await get_visible(session, initiative_id, principal=principal)
    if visible.basis not in access.OWNER_SIDE:
        raise InitiativeNotFound(f"No initiative {initiative_id}")
    return visible.initiative


async def get_owned(
    session: AsyncSession, initiative_id: uuid.UUID, *, principal: Principal | None
) -> Initiative:
    """The initiative for changes by its owner: 404 if unseen, 403 if seen but not owned."""
    visible = await get_visible(session, initiative_id, principal=principal, lock=True)
    if visible.basis != "owner":
        raise InitiativeEditForbidden("Only the initiative's owner may change it")
    return visible.initiative


async def attachments_of(session: AsyncSession, initiative_id: uuid.UUID) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.initiative_id == initiative_id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list(rows.all())


def overdue(initiative: Initiative) -> bool:
    return stages.is_overdue(initiative.state, initiative.state_entered_at)


async def present(
    session: AsyncSession, visible: Visible, *, principal: Principal | None, log_read: bool = True
) -> InitiativeRead:
    """The caller's view: full (and written to the access ledger) or public fields only."""
    initiative = visible.initiative
    ip_status = (await links.initiative_statuses(session, [initiative.id]))[initiative.id]
    if visible.basis is None:
        return projection.public(initiative, overdue=overdue(initiative), ip_status=ip_status)
    if log_read:
        await access.record_read(
            session,
            initiative,
            principal=principal,
            basis=visible.basis,
            action="initiative.confidential_read",
            data={"fields": ["description", "claims"]},
        )
    attachments = await attachments_of(session, initiative.id)
    return projection.full(
        initiative,
        overdue=overdue(initiative),
        ip_status=ip_status,
        attachments=attachments,
        owner_side=visible.basis in access.OWNER_SIDE,
    )


async def summaries(session: AsyncSession, rows: list[Initiative]) -> list[InitiativeSummary]:
    """Public projections of a page of initiatives, with one query for their IP status."""
    statuses = await links.initiative_statuses(session, [row.id for row in rows])
    return [
        projection.summary(row, overdue=overdue(row), ip_status=statuses[row.id]) for row in rows
    ]


async def list_versions(
    session: AsyncSession, initiative: Initiative, *, cursor: str | None, limit: int
) -> tuple[list[InitiativeVersion], str | None]:
    """One page of the frozen versions, oldest first, and the cursor after it."""
    stmt = select(InitiativeVersion).where(InitiativeVersion.initiative_id == initiative.id)
    return await keyset_page(
        session,
        stmt,
        order=(InitiativeVersion.number,),
        cursor=cursor,
        limit=limit,
        purpose="initiative-versions",
    )


async def attachments_page(
    session: AsyncSession, initiative: Initiative, *, cursor: str | None, limit: int
) -> tuple[list[Attachment], str | None]:
    """One page of the attachments' metadata, in upload order, and the cursor after it."""
    stmt = select(Attachment).where(Attachment.initiative_id == initiative.id)
    return await keyset_page(
        session,
        stmt,
        order=(Attachment.created_at, Attachment.id),
        cursor=cursor,
        limit=limit,
        purpose="initiative-attachments",
    )


async def get_version(
    session: AsyncSession, visible: Visible, number: int, *, principal: Principal | None
) -> InitiativeVersion:
    """A frozen version with its content, written to the access ledger."""
    initiative = visible.initiative
    version = await session.scalar(
        select(InitiativeVersion).where(
            InitiativeVersion.initiative_id == initiative.id, InitiativeVersion.number == number
        )
    )
    if version is None or visible.basis is None:
        raise VersionNotFound(f"No version {number} of initiative {initiative.id}")
    await access.record_read(
        session,
        initiative,
        principal=principal,
        basis=visible.basis,
        action="initiative.version_read",
        data={"fields": ["description", "claims", "attachments"], "version": number},
    )
    return version
