"""Alerts of saved searches and watches: a periodic scan compares what each user may read now
with what they saw, and raises each alert once, in-app and as a signed webhook.

Events: a new result of a saved search (an initiative published, a listing opened after the
search was saved); a new open counterpart matching a watched listing; a watched initiative
selected or published; a watched IP right granted or lapsed. "Once" holds across restarts and
any number of workers: scans are deduplicated per interval, the alert ledger has a unique key,
notifications are unique per (user, key) and deliveries per (subscription, alert). An alert
carries public fields only, re-read as the subscriber when the scan runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.config import Settings, get_settings
from app.models import DiscoveryAlert, Initiative, Listing, SavedSearch, User, Watch
from app.models.watch import INITIATIVE, IP_RECORD, LISTING
from app.schemas.discovery import InitiativeDiscoveryQuery, ListingDiscoveryQuery
from app.services.discovery import discover, matching, watchlists
from app.services.ip import records as ip_records
from app.services.jobs import queue as jobs
from app.services.notifications import inbox, webhooks

SCAN = "discovery.watch.scan"
SAVED_SEARCH = "discovery.saved_search"
NEW_MATCH = "discovery.new_match"
INITIATIVE_STAGE = "discovery.initiative_stage"
IP_STATUS = "discovery.ip_status"
STAGES = frozenset({"selected", "published"})
IP_EVENTS = {
    "granted": "granted",
    "in_force": "granted",
    "lapsed": "lapsed",
    "lapsed_restorable": "lapsed",
}


@jobs.periodic(SCAN)
async def schedule(session: AsyncSession, now: datetime, settings: Settings) -> None:
    """Queue one scan per interval, however many workers ask."""
    bucket = int(now.timestamp()) // max(1, settings.discovery.watch_scan_interval_seconds)
    await jobs.enqueue(session, SCAN, {}, dedupe_key=f"{SCAN}:{bucket}")


async def _ledger(
    session: AsyncSession, key: str, user: User, kind: str, subject: tuple[str, uuid.UUID]
) -> DiscoveryAlert | None:
    """The alert's ledger row, or ``None`` when it was raised already."""
    if await session.scalar(select(DiscoveryAlert.id).where(DiscoveryAlert.alert_key == key)):
        return None
    alert = DiscoveryAlert(
        alert_key=key, user_id=user.id, kind=kind, subject_type=subject[0], subject_id=subject[1]
    )
    try:
        async with session.begin_nested():
            session.add(alert)
            await session.flush()
    except IntegrityError:
        return None
    return alert


async def raise_alert(
    session: AsyncSession,
    user: User,
    *,
    key: str,
    kind: str,
    subject: tuple[str, uuid.UUID],
    title: dict[str, str],
    data: dict[str, Any],
) -> bool:
    """Notify in-app and queue the webhook deliveries, once per key."""
    alert = await _ledger(session, key, user, kind, subject)
    if alert is None:
        return False
    data = {"alert_id": str(alert.id), **data}
    await inbox.notify(session, user_id=user.id, kind=kind, title=title, data=data, dedupe_key=key)
    await webhooks.queue(session, user_id=user.id, alert_id=alert.id, kind=kind, data=data)
    return True


def _item(kind: str, row: Initiative | Listing) -> dict[str, Any]:
    """Public fields only."""
    if isinstance(row, Initiative):
        return {"type": kind, "id": str(row.id), "title": row.title, "state": row.state}
    return {"type": kind, "id": str(row.id), "title": row.title, "kind": row.kind}


async def _search_results(
    session: AsyncSession, search: SavedSearch, user: User, limit: int
) -> list[Initiative | Listing]:
    """What the saved query finds for its owner now, newer than the search."""
    if search.target == "initiatives":
        query = InitiativeDiscoveryQuery.model_validate(search.query)
        rows = await discover.initiative_candidates(session, query, limit=limit)
        return [
            r for r in rows if r.published_at is not None and r.published_at > search.created_at
        ]
    listing_query = ListingDiscoveryQuery.model_validate(search.query)
    found = await discover.listing_candidates(
        session, listing_query, viewer=watchlists.viewer_of(user), limit=limit
    )
    return [r for r in found if r.created_at > search.created_at]


async def scan_search(session: AsyncSession, search: SavedSearch, user: User, limit: int) -> int:
    raised = 0
    kind = search.target[:-1]
    for row in await _search_results(session, search, user, limit):
        title = row.title.get("vi", "")
        raised += await raise_alert(
            session,
            user,
            key=f"search:{search.id}:{row.id}",
            kind=SAVED_SEARCH,
            subject=(kind, row.id),
            title={
                "vi": f"Kết quả mới cho “{search.name}”: {title}",
                "en": f"New result for “{search.name}”: {row.title.get('en', title)}",
            },
            data={"saved_search_id": str(search.id), "name": search.name, "item": _item(kind, row)},
        )
    return raised


async def _initiative_event(
    session: AsyncSession, watch: Watch, user: User, now: dict[str, Any]
) -> int:
    state = now["state"]
    if state == watch.seen.get("state") or state not in STAGES:
        return 0
    row = await session.get(Initiative, watch.subject_id)
    assert row is not None
    labels = {
        "selected": ("được tuyển chọn", "selected"),
        "published": ("được công bố", "published"),
    }
    vi, en = labels[state]
    return await raise_alert(
        session,
        user,
        key=f"watch:{watch.id}:stage:{state}",
        kind=INITIATIVE_STAGE,
        subject=(INITIATIVE, row.id),
        title={
            "vi": f"Sáng kiến {vi}: {row.title['vi']}",
            "en": f"Initiative {en}: {row.title.get('en', row.title['vi'])}",
        },
        data={"watch_id": str(watch.id), "item": _item(INITIATIVE, row)},
    )


async def _ip_event(session: AsyncSession, watch: Watch, user: User, now: dict[str, Any]) -> int:
    event = IP_EVENTS.get(now["status"])
    if event is None or event == IP_EVENTS.get(watch.seen.get("status", "")):
        return 0
    record = (await ip_records.with_events(session, [watch.subject_id]))[0]
    vi = "được cấp văn bằng" if event == "granted" else "mất hiệu lực"
    return await raise_alert(
        session,
        user,
        key=f"watch:{watch.id}:ip:{event}",
        kind=IP_STATUS,
        subject=(IP_RECORD, record.id),
        title={
            "vi": f"Quyền SHTT {vi} ({record.jurisdiction})",
            "en": f"IP right {event} ({record.jurisdiction})",
        },
        data={
            "watch_id": str(watch.id),
            "record": {
                "id": str(record.id),
                "ip_type": record.ip_type,
                "jurisdiction": record.jurisdiction,
                "status": now["status"],
                "event": event,
                "initiative_id": str(record.initiative_id) if record.initiative_id else None,
                "listing_id": str(record.listing_id) if record.listing_id else None,
            },
        },
    )


async def _listing_event(session: AsyncSession, watch: Watch, user: User, candidates: int) -> int:
    listing = await session.scalar(select(Listing).where(Listing.id == watch.subject_id))
    assert listing is not None
    found = await matching.for_listing(
        session, listing, viewer=watchlists.viewer_of(user), limit=20, candidates=candidates
    )
    raised = 0
    for match in found:
        other = match.listing
        if other is None or other.created_at <= watch.created_at:
            continue
        raised += await raise_alert(
            session,
            user,
            key=f"watch:{watch.id}:match:{other.id}",
            kind=NEW_MATCH,
            subject=(LISTING, other.id),
            title={
                "vi": f"Tin mới phù hợp: {other.title['vi']}",
                "en": f"New match: {other.title.get('en', other.title['vi'])}",
            },
            data={
                "watch_id": str(watch.id),
                "listing_id": str(listing.id),
                "score": match.score,
                "item": _item(LISTING, other),
            },
        )
    return raised


async def scan_watch(session: AsyncSession, watch: Watch, user: User, candidates: int) -> int:
    """Alerts of one watch; what the user may no longer read is skipped."""
    now = await watchlists.state_of(session, user, watch.subject_type, watch.subject_id)
    if now is None:
        return 0
    if watch.subject_type == INITIATIVE:
        raised = await _initiative_event(session, watch, user, now)
    elif watch.subject_type == IP_RECORD:
        raised = await _ip_event(session, watch, user, now)
    else:
        raised = await _listing_event(session, watch, user, candidates)
    if now != watch.seen:
        watch.seen = now
        await session.flush()
    return raised


async def _owners(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = await session.scalars(
        select(User)
        .where(User.id.in_(ids), User.is_active.is_(True))
        .options(selectinload(User.role_rows))
    )
    return {user.id: user for user in rows}


@jobs.handler(SCAN)
async def scan(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Every saved search and watch, against what its owner may read now."""
    limit = get_settings().discovery.max_candidates
    searches = list((await session.scalars(select(SavedSearch).order_by(SavedSearch.id))).all())
    watches = list((await session.scalars(select(Watch).order_by(Watch.id))).all())
    users = await _owners(session, {s.user_id for s in searches} | {w.user_id for w in watches})
    for search in searches:
        if search.user_id in users:
            await scan_search(session, search, users[search.user_id], limit)
    for watch in watches:
        if watch.user_id in users:
            await scan_watch(session, watch, users[watch.user_id], limit)
