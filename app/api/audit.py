"""The audit log for operators: list it and verify its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import AdminUser, SessionDep
from app.core.database import begin_write
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.audit import AuditEntryRead, AuditVerification, TamperedEntry
from app.services import audit

router = APIRouter(prefix="/api/v1/admin/audit", tags=["admin"], route_class=TechxRoute)


async def _start_as_writer(session: SessionDep) -> None:
    # A read that appends to the audit log takes SQLite's write lock before its first
    # statement: upgrading a read snapshot to a writer fails when another write got in between.
    await begin_write(session)


# For GET routes that may write an audit entry; list it first in ``dependencies=``.
AuditedRead = Depends(_start_as_writer)


@router.get(
    "/verify",
    operation_id="admin_audit_verify",
    responses=problem_responses(401, 403),
)
async def verify_audit_log(session: SessionDep, _admin: AdminUser) -> AuditVerification:
    """Recompute the hash chain; name the first entry whose content or link was altered."""
    result = await audit.verify(session)
    tampered = (
        TamperedEntry(seq=result.first_tampered_seq, reason=result.reason or "")
        if result.first_tampered_seq is not None
        else None
    )
    return AuditVerification(intact=result.intact, entries=result.entries, first_tampered=tampered)


@router.get("", operation_id="admin_audit_list", responses=problem_responses(400, 401, 403, 422))
async def list_audit_entries(
    session: SessionDep,
    _admin: AdminUser,
    subject_type: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[AuditEntryRead]:
    """Entries in chain order."""
    rows, next_cursor = await audit.list_page(
        session, subject_type=subject_type, subject_id=subject_id, cursor=cursor, limit=limit
    )
    return Page(items=[AuditEntryRead.model_validate(r) for r in rows], next_cursor=next_cursor)
