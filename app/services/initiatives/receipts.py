"""Submission receipts: freeze an initiative's content, hash it, sign the hash; verify later."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import (
    ALGORITHM,
    public_key_from_jwk,
    sha256_hex,
    sign_detached,
    verify_detached,
)
from app.models import Attachment, Initiative, InitiativeVersion, IpRecord, User
from app.models.initiative import SUBMISSION
from app.schemas.receipt import Receipt, ReceiptProblem, ReceiptVerification
from app.services.accounts.keys import KeyRing
from app.services.audit import canonical_json


def content_of(
    initiative: Initiative, attachments: list[Attachment], *, ip_records: list[dict[str, Any]]
) -> dict[str, Any]:
    """Everything the authors submitted, confidential fields and attachment hashes included;
    invitation addresses left out (they are contact details, not authorship)."""
    amount = initiative.funding_amount
    return {
        "title": initiative.title,
        "summary": initiative.summary,
        "description": initiative.description,
        "claims": initiative.claims,
        "authors": [{k: v for k, v in a.items() if k != "email"} for a in initiative.authors],
        "owner_organisation_id": (
            str(initiative.owner_organisation_id) if initiative.owner_organisation_id else None
        ),
        "initiative_class": initiative.initiative_class,
        "strategic_group": initiative.strategic_group,
        "st_field": initiative.st_field,
        "ipc": initiative.ipc,
        "trl": initiative.trl,
        "funding_sought": (
            {"amount": amount, "currency": initiative.funding_currency}
            if amount is not None
            else None
        ),
        "province": initiative.province,
        "keywords": initiative.keywords,
        "results": initiative.results,
        "ip_records": ip_records,
        "declarations": {
            "no_infringement": initiative.declares_no_infringement,
            "no_duplicate": initiative.declares_no_duplicate,
        },
        "attachments": sorted(a.sha256 for a in attachments),
    }


async def _ip_records(session: AsyncSession, initiative: Initiative) -> list[dict[str, Any]]:
    """The IP records linked to the initiative, as the frozen content names them."""
    rows = await session.scalars(
        select(IpRecord).where(IpRecord.initiative_id == initiative.id).order_by(IpRecord.id)
    )
    return [
        {
            "id": str(r.id),
            "ip_type": r.ip_type,
            "office": r.office,
            "application_number": r.application_number,
            "registration_number": r.registration_number,
            "summary_status": r.summary_status,
        }
        for r in rows
    ]


def content_hash(content: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(content))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


async def freeze(
    session: AsyncSession,
    initiative: Initiative,
    *,
    attachments: list[Attachment],
    by: User,
    keyring: KeyRing,
    at: datetime,
    kind: str = SUBMISSION,
    reason: str | None = None,
    changed: list[str] | None = None,
) -> InitiativeVersion:
    """Store the next immutable version and the receipt signed with the active key.

    ``at`` is the one clock reading of the submission: the receipt's ``issued_at``, the
    version's ``created_at`` and the timeline step all carry it."""
    number = initiative.submitted_version + 1
    await session.flush()  # IP records just linked count in the frozen content
    content = content_of(initiative, attachments, ip_records=await _ip_records(session, initiative))
    key = await keyring.active_key(session)
    payload: dict[str, Any] = {
        "initiative_id": str(initiative.id),
        "version": number,
        "content_hash": content_hash(content),
        "issued_at": rfc3339(at),
        "kid": key.kid,
        "alg": key.algorithm,
    }
    signature = sign_detached(canonical_json(payload).encode(), key)
    version = InitiativeVersion(
        initiative_id=initiative.id,
        number=number,
        content=content,
        content_hash=payload["content_hash"],
        receipt={**payload, "signature": signature},
        submitted_by=by.id,
        created_at=at,
        kind=kind,
        reason=reason,
        changed=changed,
    )
    session.add(version)
    initiative.submitted_version = number
    await session.flush()
    return version


async def _stored(session: AsyncSession, receipt: Receipt) -> InitiativeVersion | None:
    try:
        initiative_id = uuid.UUID(receipt.initiative_id)
    except ValueError:
        return None
    version: InitiativeVersion | None = await session.scalar(
        select(InitiativeVersion).where(
            InitiativeVersion.initiative_id == initiative_id,
            InitiativeVersion.number == receipt.version,
        )
    )
    return version


def _invalid(reason: ReceiptProblem) -> ReceiptVerification:
    return ReceiptVerification(valid=False, reason=reason)


def _signed_part(receipt: Receipt) -> bytes:
    return canonical_json(receipt.model_dump(exclude={"signature"})).encode()


def verify_offline(receipt: Receipt, jwks: dict[str, Any]) -> ReceiptVerification:
    """Whether a receipt was signed by a key of ``jwks`` (as ``GET /api/v1/auth/jwks`` answers):
    what anyone can check without the service; the stored version is not compared."""
    if receipt.alg != ALGORITHM:
        return _invalid("unsupported-algorithm")
    found = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("kid") == receipt.kid]
    try:
        key = public_key_from_jwk(found[0]) if found else None
    except (KeyError, ValueError):
        key = None
    if key is None:
        return _invalid("unknown-key")
    if not verify_detached(_signed_part(receipt), receipt.signature, key):
        return _invalid("bad-signature")
    return ReceiptVerification(valid=True)


async def verify(
    session: AsyncSession, receipt: Receipt, *, keyring: KeyRing
) -> ReceiptVerification:
    """Authentic (signed by one of our keys, retired ones included) and matching the stored
    version. The signature is checked first, so a forged receipt learns nothing stored."""
    if receipt.alg != ALGORITHM:
        return _invalid("unsupported-algorithm")
    try:
        key, _retired_at = await keyring.public_key(session, receipt.kid)
    except KeyError:
        return _invalid("unknown-key")
    if not verify_detached(_signed_part(receipt), receipt.signature, key):
        return _invalid("bad-signature")
    stored = await _stored(session, receipt)
    if stored is None:
        return _invalid("version-not-found")
    if stored.content_hash != receipt.content_hash:
        return _invalid("content-mismatch")
    if content_hash(stored.content) != stored.content_hash:
        return _invalid("stored-content-altered")
    return ReceiptVerification(valid=True)
