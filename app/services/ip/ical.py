"""The iCalendar (RFC 5545) feed of a user's IP deadlines, behind a per-user secret token."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.errors import NotFound
from app.core.security import new_opaque_token, sha256_hex
from app.models import IpCalendarToken, IpRecord
from app.models.base import utcnow
from app.services.ip import records as ip_records
from app.services.ip.domain import ENDED, Deadline
from app.services.ip.records import AsOf

MAX_OCTETS = 75
PRODID = "-//TechX//IP deadlines 1.0//EN"


class CalendarNotFound(NotFound):
    slug, title = "ip-calendar-not-found", "Calendar feed not found"


async def rotate_token(session: AsyncSession, *, user_id: uuid.UUID) -> tuple[str, datetime]:
    """A new feed token for the user; the previous one stops working."""
    token = new_opaque_token()
    row = await session.get(IpCalendarToken, user_id)
    if row is None:
        row = IpCalendarToken(user_id=user_id, token_hash=sha256_hex(token))
        session.add(row)
    else:
        row.token_hash, row.created_at = sha256_hex(token), utcnow()
    await session.flush()
    return token, row.created_at


async def owner_of(session: AsyncSession, token: str) -> uuid.UUID:
    user_id = await session.scalar(
        select(IpCalendarToken.user_id).where(IpCalendarToken.token_hash == sha256_hex(token))
    )
    if user_id is None:
        raise CalendarNotFound("No calendar feed has this token")
    return user_id


async def entries(
    session: AsyncSession, *, user_id: uuid.UUID, when: AsOf
) -> list[tuple[IpRecord, Deadline]]:
    """Open deadlines of the user's live records, soonest first."""
    records = await session.scalars(
        select(IpRecord)
        .where(IpRecord.owner_id == user_id, IpRecord.summary_status.not_in(ENDED))
        .options(selectinload(IpRecord.events))
    )
    found = [
        (record, deadline)
        for record in records
        for deadline in ip_records.derive(record, when).deadlines
        if deadline.status != "met"
    ]
    return sorted(found, key=lambda pair: (pair[1].due_date, str(pair[0].id), pair[1].key))


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, never inside a character."""
    chunks: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1  # continuation lines start with a space
        current += char
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def _event(record: IpRecord, deadline: Deadline, *, stamp: str, lang: str) -> list[str]:
    number = record.application_number or record.title
    start = deadline.due_date
    actor = {"applicant": "applicant", "office": "office", "none": "-"}[deadline.actor]
    description = (
        f"{record.title}\n{deadline.label['en']} / {deadline.label['vi']}\n"
        f"Status: {deadline.status}; who acts: {actor}\n{deadline.legal_basis[lang]}"
    )
    return [
        "BEGIN:VEVENT",
        f"UID:{record.id}-{deadline.key.replace(':', '-')}-{start:%Y%m%d}@techx",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
        f"SUMMARY:{escape(deadline.label[lang] + ' – ' + number)}",
        f"DESCRIPTION:{escape(description)}",
        f"CATEGORIES:{escape(deadline.rule)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def render(items: list[tuple[IpRecord, Deadline]], *, now: datetime, lang: str = "vi") -> str:
    """A VCALENDAR with one all-day VEVENT per deadline, CRLF line ends, folded lines."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:TechX – " + ("Hạn sở hữu trí tuệ" if lang == "vi" else "IP deadlines"),
    ]
    for record, deadline in items:
        lines.extend(_event(record, deadline, stamp=stamp, lang=lang))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
