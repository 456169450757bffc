"""An initiative as its reader sees it: the public fields, or the full record for those who may
read confidential content."""

from __future__ import annotations

from typing import Any

from app.models import Attachment, Initiative
from app.schemas.initiative import (
    AttachmentRead,
    AuthorRead,
    Declarations,
    FundingSought,
    InitiativeRead,
    InitiativeSummary,
)


def public_fields(initiative: Initiative, *, overdue: bool, ip_status: str) -> dict[str, Any]:
    """The fields anyone may read of a non-draft initiative; authors without their contacts."""
    amount, currency = initiative.funding_amount, initiative.funding_currency
    return {
        "id": initiative.id,
        "state": initiative.state,
        "state_entered_at": initiative.state_entered_at,
        "overdue": overdue,
        "title": initiative.title,
        "summary": initiative.summary,
        "authors": [
            AuthorRead(name=a["name"], affiliation=a.get("affiliation"), share=a["share"])
            for a in initiative.authors
        ],
        "owner_organisation_id": initiative.owner_organisation_id,
        "initiative_class": initiative.initiative_class,
        "strategic_group": initiative.strategic_group,
        "st_field": initiative.st_field,
        "ipc": initiative.ipc,
        "trl": initiative.trl,
        "funding_sought": (
            FundingSought(amount=amount, currency=currency or "VND") if amount is not None else None
        ),
        "province": initiative.province,
        "keywords": initiative.keywords,
        "results": initiative.results,
        "submitted_version": initiative.submitted_version,
        "ip_status": ip_status,
        "published_at": initiative.published_at,
        "created_at": initiative.created_at,
        "updated_at": initiative.updated_at,
    }


def summary(initiative: Initiative, *, overdue: bool, ip_status: str) -> InitiativeSummary:
    return InitiativeSummary(**public_fields(initiative, overdue=overdue, ip_status=ip_status))


def public(initiative: Initiative, *, overdue: bool, ip_status: str) -> InitiativeRead:
    fields = public_fields(initiative, overdue=overdue, ip_status=ip_status)
    return InitiativeRead(**fields, access="public")


def full(
    initiative: Initiative,
    *,
    overdue: bool,
    ip_status: str,
    attachments: list[Attachment],
    owner_side: bool = False,
) -> InitiativeRead:
    """Everything, for confidential readers; invitation addresses for the owner's side only."""
    fields = public_fields(initiative, overdue=overdue, ip_status=ip_status)
    fields["authors"] = [
        AuthorRead.model_validate(a if owner_side else {**a, "email": None})
        for a in initiative.authors
    ]
    return InitiativeRead(
        **fields,
        access="full",
        owner_id=initiative.owner_id,
        description=initiative.description,
        claims=initiative.claims,
        declarations=Declarations(
            no_infringement=initiative.declares_no_infringement,
            no_duplicate=initiative.declares_no_duplicate,
        ),
        attachments=[AttachmentRead.model_validate(a) for a in attachments],
    )
