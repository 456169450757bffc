"""Initiative attachments: stored once per content under their SHA-256, read only by those
allowed to read confidential content, every read written to the access ledger."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from fastapi import UploadFile
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import StorageSettings
from app.core.errors import Conflict, NotFound, PayloadTooLarge
from app.core.text import nfc
from app.models import Attachment, Initiative, User
from app.models.base import utcnow
from app.services import audit
from app.services.accounts.tokens import Principal
from app.services.initiatives import access
from app.services.initiatives.records import Visible, require_editable

CHUNK = 1024 * 1024
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AttachmentNotFound(NotFound):
    slug, title = "attachment-not-found", "Attachment not found"


class AttachmentTooLarge(PayloadTooLarge):
    slug, title = "attachment-too-large", "Attachment too large"


class AttachmentExists(Conflict):
    slug, title = "attachment-exists", "The same file is already attached"


def blob_path(directory: Path, sha256: str) -> Path:
    return directory / sha256[:2] / sha256


def _copy(source: BinaryIO, out: BinaryIO, limit: int) -> tuple[str, int] | None:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


def store_blob(source: BinaryIO, directory: Path, limit: int) -> tuple[str, int] | None:
    """Copy ``source`` into content-addressed storage; ``None`` if it exceeds ``limit`` bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            stored = _copy(source, out, limit)
        if stored is not None:
            target = blob_path(directory, stored[0])
            target.parent.mkdir(exist_ok=True)
            # Same content, same name: an existing blob is the identical file.
            os.replace(temporary, target)
        return stored
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def clean_filename(name: str | None) -> str:
    base = re.split(r"[\\/]", nfc(name or ""))[-1]
    base = CONTROL.sub("", base).strip()[:255]
    return base or "attachment"


def clean_media_type(value: str | None) -> str:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    return media_type if MEDIA_TYPE.match(media_type) else "application/octet-stream"


async def upload(
    session: AsyncSession,
    initiative: Initiative,
    *,
    file: UploadFile,
    by: User,
    storage: StorageSettings,
) -> Attachment:
    """Store a file and attach it to a draft or returned initiative."""
    require_editable(initiative)
    limit = storage.max_attachment_bytes
    stored = await asyncio.to_thread(store_blob, file.file, storage.attachments_dir, limit)
    if stored is None:
        raise AttachmentTooLarge(f"An attachment may hold at most {limit} bytes")
    sha256, size = stored
    taken = await session.scalar(
        select(Attachment.id).where(
            Attachment.initiative_id == initiative.id, Attachment.sha256 == sha256
        )
    )
    if taken is not None:
        raise AttachmentExists(f"Attachment {taken} has the same content")
    attachment = Attachment(
        initiative_id=initiative.id,
        sha256=sha256,
        filename=clean_filename(file.filename),
        media_type=clean_media_type(file.content_type),
        size=size,
        uploaded_by=by.id,
    )
    session.add(attachment)
    initiative.updated_at = utcnow()  # the content changed: move the initiative's ETag
    await session.flush()
    await _log_change(session, initiative, by, "initiative.attachment_added", attachment)
    return attachment


async def _log_change(
    session: AsyncSession, initiative: Initiative, by: User, action: str, attachment: Attachment
) -> None:
    await audit.append(
        session,
        actor_id=by.id,
        action=action,
        subject_type="initiative",
        subject_id=initiative.id,
        data={"attachment_id": str(attachment.id), "sha256": attachment.sha256},
    )


async def _get(
    session: AsyncSession, initiative: Initiative, attachment_id: uuid.UUID
) -> Attachment:
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.initiative_id != initiative.id:
        raise AttachmentNotFound(f"No attachment {attachment_id}")
    return attachment


async def read(
    session: AsyncSession,
    visible: Visible,
    attachment_id: uuid.UUID,
    *,
    principal: Principal | None,
    storage: StorageSettings,
) -> tuple[Attachment, Path]:
    """The attachment and its file, for readers of confidential content; logged."""
    if visible.basis is None:
        raise AttachmentNotFound(f"No attachment {attachment_id}")
    attachment = await _get(session, visible.initiative, attachment_id)
    path = blob_path(storage.attachments_dir, attachment.sha256)
    if not path.is_file():
        raise AttachmentNotFound(f"The file of attachment {attachment_id} is missing")
    await access.record_read(
        session,
        visible.initiative,
        principal=principal,
        basis=visible.basis,
        action="initiative.attachment_read",
        data={"fields": ["attachments"], "sha256": attachment.sha256},
    )
    return attachment, path


async def remove(
    session: AsyncSession, initiative: Initiative, attachment_id: uuid.UUID, *, by: User
) -> None:
    """Detach a file from a draft or returned initiative; frozen versions keep its hash."""
    require_editable(initiative)
    attachment = await _get(session, initiative, attachment_id)
    await session.execute(delete(Attachment).where(Attachment.id == attachment.id))
    initiative.updated_at = utcnow()
    await session.flush()
    await _log_change(session, initiative, by, "initiative.attachment_removed", attachment)
