"""Co-authors' consent. Every author the owner names by account (``user_id``) or invites by
e-mail is a co-author row: pending until they confirm or decline their authorship and share.
Changing an author's name or share asks them again. Submission needs every co-author confirmed,
or waived by an administrator with a reason written to the audit log. Co-authors hear of every
stage; one who declined no longer reads the confidential content.

Invitations by e-mail carry a one-time token (only its SHA-256 is stored); the invitee signs in,
or registers, and claims it, which links their account. Nobody is linked by address alone.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.errors import Conflict, NotFound
from app.core.security import sha256_hex
from app.models import Coauthor, Initiative, User
from app.models.base import utcnow
from app.models.coauthor import CONFIRMED, DECLINED, PENDING, SETTLED, WAIVED
from app.models.initiative import EDITABLE_STATES
from app.services import audit
from app.services.notifications import inbox, mail


class CoauthorNotFound(NotFound):
    slug, title = "coauthor-not-found", "Co-author not found"


class CoauthorDecisionNotAllowed(Conflict):
    slug, title = "coauthor-decision-not-allowed", "This consent cannot change now"


class CoauthorsUnconfirmed(Conflict):
    slug, title = "coauthors-unconfirmed", "Every co-author must confirm before submission"


class InvitationNotFound(NotFound):
    slug, title = "coauthor-invitation-not-found", "Invitation not found or already claimed"


class InvitationAlreadyAuthor(Conflict):
    slug, title = "coauthor-invitation-already-author", "You are already an author of it"


Key = tuple[str, str]


def _entry_key(entry: dict[str, Any]) -> Key | None:
    if entry.get("user_id"):
        return ("user", str(entry["user_id"]))
    if entry.get("email"):
        return ("email", str(entry["email"]).lower())
    return None


def _row_key(row: Coauthor) -> Key:
    return ("user", str(row.user_id)) if row.user_id else ("email", str(row.email))


async def of(session: AsyncSession, initiative_id: uuid.UUID) -> list[Coauthor]:
    rows = await session.scalars(
        select(Coauthor)
        .where(Coauthor.initiative_id == initiative_id)
        .order_by(Coauthor.created_at, Coauthor.id)
    )
    return list(rows.all())


def _wanted(initiative: Initiative) -> dict[Key, dict[str, Any]]:
    wanted: dict[Key, dict[str, Any]] = {}
    for entry in initiative.authors:
        key = _entry_key(entry)
        if key is not None and key != ("user", str(initiative.owner_id)):
            wanted[key] = entry
    return wanted


def _new_row(initiative: Initiative, key: Key) -> Coauthor:
    return Coauthor(
        initiative_id=initiative.id,
        user_id=uuid.UUID(key[1]) if key[0] == "user" else None,
        email=key[1] if key[0] == "email" else None,
    )


async def reconcile(session: AsyncSession, initiative: Initiative) -> None:
    """Bring the co-authors in line with the authors list; new or changed entries ask again."""
    rows = {_row_key(row): row for row in await of(session, initiative.id)}
    wanted = _wanted(initiative)
    for key, gone in rows.items():
        if key not in wanted:
            await session.delete(gone)
    asked = []
    for key, entry in wanted.items():
        found = rows.get(key)
        if found is not None and (found.name, found.share) == (entry["name"], entry["share"]):
            continue
        row = found or _new_row(initiative, key)
        row.name, row.share = entry["name"], entry["share"]
        row.status, row.reason, row.responded_at = PENDING, None, None
        session.add(row)
        asked.append(row)
    await session.flush()
    for row in asked:
        await _ask(session, initiative, row)


def _title(initiative: Initiative) -> str:
    return initiative.title.get("vi") or next(iter(initiative.title.values()), "")


async def _ask(session: AsyncSession, initiative: Initiative, row: Coauthor) -> None:
    """Tell the co-author: in the inbox of their account, or by an e-mailed invitation."""
    data = {"initiative_id": str(initiative.id), "coauthor_id": str(row.id), "share": row.share}
    if row.user_id is not None:
        await inbox.notify(
            session,
            user_id=row.user_id,
            kind="initiative.coauthor_invited",
            title={
                "vi": f"Xác nhận đồng tác giả ({row.share}%): {_title(initiative)}",
                "en": f"Confirm your co-authorship ({row.share}%): {_title(initiative)}",
            },
            data=data,
        )
        return
    token = secrets.token_urlsafe(32)
    row.token_hash = sha256_hex(token)
    await session.flush()
    await mail.send_later(
        session,
        to=str(row.email),
        subject="Lời mời đồng tác giả sáng kiến / Co-author invitation",
        body=_invitation_text(initiative, row, token),
    )


def _invitation_text(initiative: Initiative, row: Coauthor, token: str) -> str:
    base = get_settings().mail.public_url.rstrip("/")
    claim = f"POST {base}/api/v1/coauthor-invitations/claim"
    return (
        f"Bạn được mời xác nhận là đồng tác giả ({row.share}%) của sáng kiến «{_title(initiative)}»"
        f" trên {base}.\nĐăng nhập hoặc đăng ký tài khoản, rồi gửi mã mời dưới đây ({claim})"
        f" để xác nhận hoặc từ chối.\n\n"
        f"You are invited to confirm your co-authorship ({row.share}%) of the initiative"
        f" «{_title(initiative)}» on {base}.\nSign in or register, then claim this invitation"
        f" code ({claim}) to confirm or decline.\n\n{token}\n"
    )


async def has_consented_reader(
    session: AsyncSession, initiative_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """Whether ``user_id`` is a co-author who has not declined (they read the full record)."""
    status = await session.scalar(
        select(Coauthor.status).where(
            Coauthor.initiative_id == initiative_id, Coauthor.user_id == user_id
        )
    )
    return status is not None and status != DECLINED


async def _get(session: AsyncSession, initiative: Initiative, coauthor_id: uuid.UUID) -> Coauthor:
    row = await session.get(Coauthor, coauthor_id)
    if row is None or row.initiative_id != initiative.id:
        raise CoauthorNotFound(f"No co-author {coauthor_id} of initiative {initiative.id}")
    return row


async def _record(
    session: AsyncSession,
    initiative: Initiative,
    row: Coauthor,
    *,
    actor: User,
    action: str,
    notify: list[uuid.UUID],
    title: dict[str, str],
) -> None:
    await audit.append(
        session,
        actor_id=actor.id,
        action=f"initiative.coauthor_{action}",
        subject_type="initiative",
        subject_id=initiative.id,
        data={"coauthor_id": str(row.id), "share": row.share, "reason": row.reason},
    )
    data = {"initiative_id": str(initiative.id), "coauthor_id": str(row.id)}
    for user_id in notify:
        await inbox.notify(
            session, user_id=user_id, kind=f"initiative.coauthor_{action}", title=title, data=data
        )


async def decide(
    session: AsyncSession,
    initiative_id: uuid.UUID,
    coauthor_id: uuid.UUID,
    *,
    by: User,
    decision: str,
    reason: str | None,
) -> Coauthor:
    """The co-author confirms or declines (another user gets 404, as for anything unseen);
    consent given to a submitted version stays until the initiative is returned."""
    initiative = await session.get(Initiative, initiative_id, with_for_update=True)
    row = await session.get(Coauthor, coauthor_id)
    if initiative is None or row is None or row.initiative_id != initiative.id:
        raise CoauthorNotFound(f"No co-author {coauthor_id} of initiative {initiative_id}")
    if row.user_id != by.id:
        raise CoauthorNotFound(f"No co-author {coauthor_id} of initiative {initiative_id}")
    frozen = initiative.state not in EDITABLE_STATES and row.status not in (PENDING, WAIVED)
    if row.status == decision or frozen:
        raise CoauthorDecisionNotAllowed(
            f"A {row.status} co-authorship of a {initiative.state} initiative cannot be {decision}"
        )
    row.status, row.reason, row.responded_at = decision, reason, utcnow()
    await session.flush()
    name = row.name
    title = (
        {"vi": f"{name} đã xác nhận là đồng tác giả", "en": f"{name} confirmed co-authorship"}
        if decision == CONFIRMED
        else {"vi": f"{name} đã từ chối là đồng tác giả", "en": f"{name} declined co-authorship"}
    )
    await _record(
        session,
        initiative,
        row,
        actor=by,
        action=decision,
        notify=[initiative.owner_id],
        title=title,
    )
    return row


async def waive(
    session: AsyncSession, initiative: Initiative, coauthor_id: uuid.UUID, *, by: User, reason: str
) -> Coauthor:
    """An administrator lets submission go ahead without a pending consent, saying why."""
    row = await _get(session, initiative, coauthor_id)
    if row.status != PENDING:
        raise CoauthorDecisionNotAllowed(f"Only a pending consent can be waived, not {row.status}")
    row.status, row.reason, row.responded_at = WAIVED, reason, utcnow()
    await session.flush()
    notify = [initiative.owner_id] + ([row.user_id] if row.user_id else [])
    title = {
        "vi": f"Quản trị viên miễn xác nhận đồng tác giả của {row.name}",
        "en": f"An administrator waived {row.name}'s co-author confirmation",
    }
    await _record(session, initiative, row, actor=by, action="waived", notify=notify, title=title)
    return row


async def claim(session: AsyncSession, *, token: str, by: User) -> tuple[Initiative, Coauthor]:
    """Link the signed-in account to the invitation the token belongs to (still pending)."""
    row = await session.scalar(select(Coauthor).where(Coauthor.token_hash == sha256_hex(token)))
    if row is None:
        raise InvitationNotFound("No open invitation has this code")
    initiative = await session.get(Initiative, row.initiative_id, with_for_update=True)
    assert initiative is not None
    taken = await has_consented_reader(session, initiative.id, by.id)
    if taken or initiative.owner_id == by.id:
        raise InvitationAlreadyAuthor("Your account is already an author of this initiative")
    email = row.email
    row.user_id, row.email, row.token_hash = by.id, None, None
    initiative.authors = [
        {k: v for k, v in entry.items() if k != "email"} | {"user_id": str(by.id)}
        if str(entry.get("email", "")).lower() == email
        else entry
        for entry in initiative.authors
    ]
    await session.flush()
    await _record(
        session,
        initiative,
        row,
        actor=by,
        action="linked",
        notify=[initiative.owner_id],
        title={
            "vi": f"{row.name} đã nhận lời mời đồng tác giả",
            "en": f"{row.name} claimed the co-author invitation",
        },
    )
    return initiative, row


async def require_settled(session: AsyncSession, initiative: Initiative) -> None:
    """409 unless every co-author confirmed or an administrator waived their consent."""
    open_rows = [row for row in await of(session, initiative.id) if row.status not in SETTLED]
    if open_rows:
        errors = [
            {"loc": ["coauthors", str(row.id)], "msg": row.status, "type": "coauthor_consent"}
            for row in open_rows
        ]
        names = ", ".join(f"{row.name} ({row.status})" for row in open_rows)
        raise CoauthorsUnconfirmed(
            f"Co-authors have not confirmed: {names}",
            extra={"errors": errors},
            detail_vi=f"Đồng tác giả chưa xác nhận: {names}",
        )


async def readers(session: AsyncSession, initiative_id: uuid.UUID) -> list[uuid.UUID]:
    """Co-authors with an account who have not declined: they hear of every stage."""
    return [
        row.user_id
        for row in await of(session, initiative_id)
        if row.user_id is not None and row.status != DECLINED
    ]
