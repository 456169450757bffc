"""Initiative attachments: multipart upload by the owner, download by confidential readers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import FileResponse

from app.api.audit import AuditedRead
from app.api.deps import ContextDep, CurrentUser, Idempotent, PrincipalDep, SessionDep
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.schemas.initiative import AttachmentRead
from app.services.initiatives import attachments
from app.services.initiatives import records as initiatives

router = APIRouter(
    prefix="/api/v1/initiatives/{initiative_id}/attachments",
    tags=["initiatives"],
    route_class=TechxRoute,
)


@router.post(
    "",
    operation_id="initiatives_attachments_upload",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422),
)
async def upload_attachment(
    initiative_id: uuid.UUID,
    file: Annotated[
        UploadFile,
        File(description="The file; its SHA-256 becomes part of the next submitted version"),
    ],
    session: SessionDep,
    ctx: ContextDep,
    principal: PrincipalDep,
    user: CurrentUser,
    response: Response,
) -> AttachmentRead:
    """Attach a file to your draft or returned initiative (multipart field `file`)."""
    initiative = await initiatives.get_owned(session, initiative_id, principal=principal)
    attachment = await attachments.upload(
        session, initiative, file=file, by=user, storage=ctx.settings.storage
    )
    response.headers["Location"] = (
        f"/api/v1/initiatives/{initiative_id}/attachments/{attachment.id}"
    )
    return AttachmentRead.model_validate(attachment)


@router.get(
    "",
    operation_id="initiatives_attachments_list",
    responses=problem_responses(400, 401, 404, 422),
)
async def list_attachments(
    initiative_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[AttachmentRead]:
    """The attachments' metadata, for those who may read confidential content."""
    visible = await initiatives.get_readable(session, initiative_id, principal=principal)
    rows, next_cursor = await initiatives.attachments_page(
        session, visible.initiative, cursor=cursor, limit=limit
    )
    return Page(items=[AttachmentRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{attachment_id}",
    operation_id="initiatives_attachments_download",
    dependencies=[AuditedRead],
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        **problem_responses(401, 404, 422),
    },
)
async def download_attachment(
    initiative_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    principal: PrincipalDep,
) -> FileResponse:
    """The file, for those who may read confidential content; the read is logged."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal)
    attachment, path = await attachments.read(
        session, visible, attachment_id, principal=principal, storage=ctx.settings.storage
    )
    return FileResponse(
        path,
        media_type=attachment.media_type,
        filename=attachment.filename,
        headers={"ETag": f'"{attachment.sha256}"', "X-Content-Type-Options": "nosniff"},
    )


@router.delete(
    "/{attachment_id}",
    operation_id="initiatives_attachments_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def delete_attachment(
    initiative_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    user: CurrentUser,
) -> None:
    """Detach a file from your draft or returned initiative."""
    initiative = await initiatives.get_owned(session, initiative_id, principal=principal)
    await attachments.remove(session, initiative, attachment_id, by=user)
