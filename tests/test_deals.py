"""The deal funnel through the HTTP API: interest, every move of the table on initiatives and
listings, illegal moves, other parties' deals, decline reasons, ETags and idempotent creation."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.models import AuditEntry, Deal, DealMove, Notification
from app.services.deals.rules import MOVES
from tests import deal_helpers as dh
from tests import listing_helpers as lh
from tests.deal_helpers import API
from tests.factories import login
from tests.initiative_helpers import actors, create, field_paths

KINDS = ["initiative", "listing"]
TARGETS = ["access_requested", "meeting", "term_sheet", "contract", "completed", "declined"]


async def _notices(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(Notification.data["to"].as_string())
        .where(Notification.user_id == user_id, Notification.kind == "deal.moved")
        .order_by(Notification.created_at, Notification.id)
    )
    return list(rows.all())


@pytest.mark.parametrize("kind", KINDS)
async def test_deal_goes_through_every_stage_to_completed(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, kind: str
) -> None:
    t = await dh.table(client, session, ctx, kind)
    assert t.deal["stage"] == "interest"
    assert t.deal["allowed_moves"] == ["access_requested", "declined"]
    deal = await dh.advance(client, t, "completed")

    assert deal["stage"] == "completed" and deal["allowed_moves"] == []
    assert [(m["from_stage"], m["to_stage"], m["by"]) for m in deal["history"]] == [
        (None, "interest", "party"),
        ("interest", "access_requested", "party"),
        ("access_requested", "meeting", "owner"),
        ("meeting", "term_sheet", "party"),
        ("term_sheet", "contract", "owner"),
        ("contract", "completed", "party"),
    ]
    if kind == "initiative":
        assert deal["access_status"] == "granted" and deal["access_request_id"]
    else:
        assert deal["contact_request_id"]
    actions = await session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == t.id).order_by(AuditEntry.seq)
    )
    assert list(actions) == ["deal.created"] + ["deal.moved"] * 5
    # Each side hears of the other side's moves, never of its own.
    assert await _notices(session, t.owner_user.id) == [
        "interest",
        "access_requested",
        "term_sheet",
        "completed",
    ]
    assert await _notices(session, t.party_user.id) == ["meeting", "contract"]


async def test_etag_follows_each_move_and_stale_if_match_is_412(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.listing_table(client, session, ctx)
    first = await dh.etag(client, t.id, t.party)
    moved = await dh.move(client, t.id, t.party, dh.body_for("listing", "access_requested"))
    assert moved.status_code == 200
    assert moved.headers["ETag"] != first

    stale = await dh.move(client, t.id, t.owner, {"to": "meeting"}, if_match=first)
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    missing = await client.post(f"{API}/{t.id}/moves", json={"to": "meeting"}, headers=t.owner)
    assert missing.status_code == 428
    deal = (await client.get(f"{API}/{t.id}", headers=t.owner)).json()
    assert deal["stage"] == "access_requested"


@pytest.mark.parametrize(
    "stage", ["interest", "access_requested", "meeting", "term_sheet", "contract", "completed"]
)
async def test_every_move_outside_the_table_is_409(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, stage: str
) -> None:
    t = await dh.listing_table(client, session, ctx)
    await dh.advance(client, t, stage)
    tried = 0
    for side in ("party", "owner"):
        for target in TARGETS:
            if side in MOVES.get(stage, {}).get(target, frozenset()):
                continue
            response = await dh.move(client, t.id, t.headers(side), dh.body_for("listing", target))
            assert response.status_code == 409, (side, target, response.text)
            assert response.json()["type"] == "/problems/deal-move-not-allowed"
            tried += 1
    assert tried == 12 - sum(len(sides) for sides in MOVES.get(stage, {}).values())
    deal = (await client.get(f"{API}/{t.id}", headers=t.party)).json()
    assert deal["stage"] == stage and len(deal["history"]) == dh.PATH_INDEX[stage] + 1


async def test_declined_deal_takes_no_more_moves(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.listing_table(client, session, ctx)
    declined = await dh.move(client, t.id, t.owner, dh.body_for("listing", "declined"))
    assert declined.status_code == 200
    for side in ("party", "owner"):
        for target in TARGETS:
            response = await dh.move(client, t.id, t.headers(side), dh.body_for("listing", target))
            assert response.status_code == 409, (side, target)


async def test_meeting_on_an_initiative_waits_for_the_access_grant(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.initiative_table(client, session, ctx)
    await dh.advance(client, t, "access_requested")
    early = await dh.move(client, t.id, t.owner, {"to": "meeting"})
    assert early.status_code == 409
    assert early.json()["type"] == "/problems/deal-access-not-granted"
    await dh.grant_access(client, t)
    assert (await dh.move(client, t.id, t.owner, {"to": "meeting"})).status_code == 200


async def test_access_request_needs_the_nda_and_links_the_existing_flow(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.initiative_table(client, session, ctx)
    bare = await dh.move(client, t.id, t.party, {"to": "access_requested"})
    assert bare.status_code == 422
    assert ["body", "nda_accepted"] in field_paths(bare.json())
    moved = await dh.move(client, t.id, t.party, dh.body_for("initiative", "access_requested"))
    assert moved.status_code == 200
    requests = await client.get(
        f"/api/v1/initiatives/{t.subject_id}/access-requests", headers=t.owner
    )
    assert [r["id"] for r in requests.json()["items"]] == [moved.json()["access_request_id"]]
    assert requests.json()["items"][0]["status"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "declined", "reason": "bored"}, "reason"),
        ({"to": "declined"}, "reason"),
        ({"to": "declined", "reason": "other"}, "note"),
        ({"to": "declined", "reason": "other", "note": "  "}, "note"),
        ({"to": "access_requested", "reason": "too_early_stage", "message": "x"}, "reason"),
        ({"to": "signed"}, "to"),
    ],
)
async def test_decline_reason_outside_the_vocabulary_or_other_without_text_is_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ctx: AppContext,
    body: dict[str, str],
    field: str,
) -> None:
    t = await dh.listing_table(client, session, ctx)
    response = await dh.move(client, t.id, t.party, body)
    assert response.status_code == 422, response.text
    assert ["body", field] in field_paths(response.json())
    assert (await client.get(f"{API}/{t.id}", headers=t.party)).json()["stage"] == "interest"


async def test_decline_with_other_and_text_is_seen_by_both_sides(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.listing_table(client, session, ctx)
    await dh.advance(client, t, "meeting")
    body = {"to": "declined", "reason": "other", "note": "Đã chọn nhà cung cấp khác"}
    response = await dh.move(client, t.id, t.party, body)
    assert response.status_code == 200
    for headers in (t.party, t.owner):
        deal = (await client.get(f"{API}/{t.id}", headers=headers)).json()
        assert deal["decline"] == {
            "reason": "other",
            "label": {"vi": "Lý do khác (ghi rõ)", "en": "Other (explain)"},
            "note": "Đã chọn nhà cung cấp khác",
            "from_stage": "meeting",
        }
        assert deal["history"][-1]["reason"] == "other"


async def test_history_is_shared_by_both_sides_and_hidden_from_a_third(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.initiative_table(client, session, ctx)
    await dh.advance(client, t, "meeting")
    _, stranger = await login(client, session, ctx, roles=["fund"])

    party_view = (await client.get(f"{API}/{t.id}", headers=t.party)).json()
    owner_view = (await client.get(f"{API}/{t.id}", headers=t.owner)).json()
    strip = [{k: v for k, v in m.items() if k != "by_you"} for m in party_view["history"]]
    assert strip == [{k: v for k, v in m.items() if k != "by_you"} for m in owner_view["history"]]
    assert [m["by_you"] for m in party_view["history"]] == [True, True, False]
    assert [m["by_you"] for m in owner_view["history"]] == [False, False, True]
    assert (party_view["side"], owner_view["side"]) == ("party", "owner")
    # The owner side sees roles, not the party's personal contact details.
    assert t.party_user.email not in str(owner_view) and t.owner_user.email not in str(party_view)

    assert (await client.get(f"{API}/{t.id}", headers=stranger)).status_code == 404
    tag = await dh.etag(client, t.id, t.party)
    body = dh.body_for("initiative", "declined")
    assert (await dh.move(client, t.id, stranger, body, if_match=tag)).status_code == 404
    listed = await client.get(API, headers=stranger)
    assert listed.json() == {"items": [], "next_cursor": None}
    assert (await client.get(f"{API}/{uuid.uuid4()}", headers=t.party)).status_code == 404


async def test_interest_only_in_what_the_party_may_read(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await actors(client, session, ctx)
    draft = await create(client, who.owner_headers)
    _, fund = await login(client, session, ctx, roles=["fund"])
    unseen = await dh.express(client, fund, "initiative", draft["id"])
    assert unseen.status_code == 404
    assert (await dh.express(client, fund, "listing", str(uuid.uuid4()))).status_code == 404

    _, author, organisation = await lh.author(client, session, ctx)
    withdrawn = await lh.create(client, author, status="withdrawn")
    assert (await dh.express(client, fund, "listing", withdrawn["id"])).status_code == 404
    closed = await lh.create(client, author, status="closed")
    assert (await dh.express(client, fund, "listing", closed["id"])).status_code == 409
    _, colleague, _ = await lh.author(
        client, session, ctx, roles=("enterprise",), organisation=organisation
    )
    own = await lh.create(client, author)
    response = await dh.express(client, colleague, "listing", own["id"])
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/deal-own-subject"
    assert await session.scalar(select(func.count()).select_from(Deal)) == 0


async def test_only_funds_and_enterprises_express_interest(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, author, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, author)
    _, scientist = await login(client, session, ctx, roles=["scientist"])
    assert (await dh.express(client, scientist, "listing", listing["id"])).status_code == 403
    assert (await dh.express(client, {}, "listing", listing["id"])).status_code == 401
    _, enterprise = await login(client, session, ctx, roles=["enterprise"])
    assert (await dh.express(client, enterprise, "listing", listing["id"])).status_code == 201


async def test_idempotent_interest_replays_and_one_open_deal_per_subject(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, author, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, author)
    _, fund = await login(client, session, ctx, roles=["fund"])
    headers = {**fund, "Idempotency-Key": "deal-1"}
    first = await dh.express(client, headers, "listing", listing["id"], message="Quan tâm")
    again = await dh.express(client, headers, "listing", listing["id"], message="Quan tâm")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    other_body = await dh.express(client, headers, "listing", listing["id"], message="Khác")
    assert other_body.status_code == 422
    second = await dh.express(client, fund, "listing", listing["id"])
    assert second.status_code == 409
    assert second.json()["type"] == "/problems/deal-exists"
    count = await session.scalar(select(func.count()).select_from(Deal))
    moves = await session.scalar(select(func.count()).select_from(DealMove))
    assert (count, moves) == (1, 1)


async def test_a_closed_deal_lets_the_party_express_interest_again(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.listing_table(client, session, ctx)
    assert (
        await dh.move(client, t.id, t.party, dh.body_for("listing", "declined"))
    ).status_code == 200
    again = await dh.express(client, t.party, "listing", t.subject_id)
    assert again.status_code == 201 and again.json()["id"] != t.id


async def test_list_filters_by_side_stage_and_kind_with_cursor(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    t = await dh.initiative_table(client, session, ctx)
    for _ in range(2):
        _, author, _ = await lh.author(client, session, ctx)
        listing = await lh.create(client, author)
        assert (await dh.express(client, t.party, "listing", listing["id"])).status_code == 201
    await dh.advance(client, t, "access_requested")

    page = (await client.get(API, params={"limit": 2}, headers=t.party)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await client.get(
        API, params={"limit": 2, "cursor": page["next_cursor"]}, headers=t.party
    )
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    listings = await client.get(API, params={"subject_kind": "listing"}, headers=t.party)
    assert {d["subject"]["kind"] for d in listings.json()["items"]} == {"listing"}
    assert len(listings.json()["items"]) == 2
    staged = await client.get(API, params={"stage": "access_requested"}, headers=t.party)
    assert [d["id"] for d in staged.json()["items"]] == [t.id]
    owner = await client.get(API, params={"side": "owner"}, headers=t.owner)
    assert [(d["id"], d["side"]) for d in owner.json()["items"]] == [(t.id, "owner")]
    assert (await client.get(API, params={"side": "owner"}, headers=t.party)).json()["items"] == []
    assert (await client.get(API, params={"stage": "won"}, headers=t.party)).status_code == 422
