"""A fixture month (April 2030, beside March 2030) seeded through the real services, with the
timestamps moved into it, and direct database counts to check reports against."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import Exchange, IpRecord, Transition
from tests import initiative_helpers as ini
from tests import ip_helpers, listing_helpers
from tests.factories import make_organisation, make_user

PERIOD = "2030-04"
PREVIOUS = "2030-03"
SECRET_WORD = ini.CONFIDENTIAL_WORD
AUTHOR_NAMES = ("Nguyễn Văn An", "Trần Thị Bình")

# (state reached, strategic group, province, class, first submission day)
INITIATIVES: list[tuple[str, str, str, str, datetime]] = [
    ("published", "ai", "HN", "breakthrough", datetime(2030, 3, 20, 9, tzinfo=UTC)),
    ("under_review", "ai", "CT", "regular", datetime(2030, 3, 30, 20, tzinfo=UTC)),
    ("submitted", "semiconductors", "CT", "regular", datetime(2030, 4, 12, 3, tzinfo=UTC)),
    ("selected", "robotics", "HN", "regular", datetime(2030, 2, 1, 8, tzinfo=UTC)),
    ("screening", "blockchain", "HP", "breakthrough", datetime(2030, 4, 29, 18, tzinfo=UTC)),
]
STEP = timedelta(days=6, hours=5)


async def _move(session: AsyncSession, initiative_id: str, first: datetime) -> None:
    rows = (
        await session.scalars(
            select(Transition).where(Transition.initiative_id == uuid.UUID(initiative_id))
        )
    ).all()
    # The draft is opened two days before the first submission; each later step takes STEP.
    for n, row in enumerate(sorted(rows, key=lambda r: r.seq)):
        at = first - timedelta(days=2) if n == 0 else first + (n - 1) * STEP
        await session.execute(update(Transition).where(Transition.id == row.id).values(at=at))
    await session.commit()


async def seed(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> dict[str, Any]:
    """Initiatives through the workflow, IP records, listings and a peer exchange."""
    who = await ini.actors(client, session, ctx)
    ids = []
    for state, group, province, cls, first in INITIATIVES:
        created = await ini.create(
            client,
            who.owner_headers,
            strategic_group=group,
            province=province,
            initiative_class=cls,
        )
        if state != "draft":
            await ini.advance(client, created["id"], state, who)
        await _move(session, created["id"], first)
        ids.append(created["id"])
    owner = await make_user(session, ctx, roles=["scientist"], email=None)
    records = [
        await ip_helpers.make_record(
            session, owner, filed=date(2029, 6, 1), today=date(2030, 3, 2)
        ),
        await ip_helpers.make_record(
            session,
            owner,
            ip_type="utility_solution",
            filed=date(2030, 4, 10),
            today=date(2030, 4, 11),
        ),
        await ip_helpers.make_record(
            session,
            owner,
            ip_type="industrial_design",
            filed=date(2029, 1, 5),
            grant_date=date(2030, 4, 20),
            today=date(2030, 4, 21),
        ),
    ]
    for n, record in enumerate(records):
        created_at = datetime(2030, 3, 1 + n, tzinfo=UTC)
        await session.execute(
            update(IpRecord).where(IpRecord.id == record.id).values(created_at=created_at)
        )
    organisation = await make_organisation(session, province="HN")
    rows = [
        listing_helpers.row(organisation.id, created_at=datetime(2030, 3, 5, tzinfo=UTC)),
        listing_helpers.row(organisation.id, created_at=datetime(2030, 4, 6, tzinfo=UTC)),
        listing_helpers.row(
            organisation.id,
            kind="request",
            origin_exchange="HN",
            created_at=datetime(2030, 4, 16, tzinfo=UTC),
        ),
        listing_helpers.row(
            organisation.id, status="withdrawn", created_at=datetime(2030, 4, 30, 18, tzinfo=UTC)
        ),
    ]
    await listing_helpers.bulk_insert(session, rows)
    session.add(
        Exchange(code="HN", name="Sàn Hà Nội", lag_seconds=420, applied=17, rejected=2, stale=1)
    )
    await session.commit()
    return {"initiatives": ids, "who": who}
