"""Discovery of published initiatives: ranked by an explained commercial-potential score."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import Settings
from app.models import AccessRequest, ReviewAssignment, User
from app.models.base import utcnow
from tests import initiative_helpers as ih
from tests.discovery_helpers import (
    assert_sums,
    discover,
    fund,
    link_right,
    points,
    published,
    use_weights,
)
from tests.factories import login, make_user

WORD = "quangtrac"


async def test_results_are_ordered_by_score_and_components_sum_to_it(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    for trl in (3, 9, 6):
        await published(client, session, ctx, trl=trl, keywords=[WORD])
    _, headers = await fund(client, session, ctx)
    page = await discover(client, headers, q=WORD)
    assert page["total"] == 3
    scores = [item["score"] for item in page["items"]]
    assert scores == sorted(scores, reverse=True)
    assert [item["initiative"]["trl"] for item in page["items"]] == [9, 6, 3]
    for item in page["items"]:
        assert_sums(item)
        assert [p["name"] for p in item["components"]] == [
            "readiness",
            "ip",
            "market",
            "reviews",
            "traction",
        ]
        assert all(p["explanation"] is None for p in item["components"])


async def test_changing_a_weight_in_configuration_changes_the_order(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    mature, _ = await published(client, session, ctx, trl=9, keywords=[WORD])
    protected, owner = await published(client, session, ctx, trl=2, keywords=[WORD])
    await link_right(session, owner, protected["id"], "granted")
    _, headers = await fund(client, session, ctx)
    first = await discover(client, headers, q=WORD)
    assert [i["initiative"]["id"] for i in first["items"]] == [protected["id"], mature["id"]]
    use_weights(ctx, readiness=50, ip=5)
    second = await discover(client, headers, q=WORD)
    assert [i["initiative"]["id"] for i in second["items"]] == [mature["id"], protected["id"]]
    assert second["items"][0]["components"][0]["weight"] == 50


def test_weights_come_from_techx_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHX_DISCOVERY_WEIGHT_IP", "40")
    monkeypatch.setenv("TECHX_DISCOVERY_MARKET_SATURATION", "3")
    settings = Settings()
    assert settings.discovery.weight_ip == 40
    assert settings.discovery.market_saturation == 3


async def test_granted_patent_raises_ip_over_filed_and_lapsed_lowers_it(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    ids = {}
    for case in ("granted", "filed", "lapsed", "filed+lapsed", "none"):
        initiative, owner = await published(client, session, ctx, trl=5, keywords=[WORD])
        for status in case.split("+"):
            if status != "none":
                await link_right(session, owner, initiative["id"], status)
        ids[initiative["id"]] = case
    _, headers = await fund(client, session, ctx)
    page = await discover(client, headers, q=WORD, explain="true")
    ip = {ids[i["initiative"]["id"]]: points(i)["ip"] for i in page["items"]}
    assert ip["granted"] > ip["filed"] > ip["filed+lapsed"] > ip["lapsed"] == ip["none"] == 0
    granted = next(i for i in page["items"] if ids[i["initiative"]["id"]] == "granted")
    explained = granted["components"][1]["explanation"]
    assert explained["inputs"]["rights"][0]["status"] == "granted"
    assert explained["inputs"]["rights"][0]["years_left"] > 15
    assert granted["initiative"]["ip_status"] == "granted"


async def test_explain_shows_each_components_formula_and_inputs(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    await published(client, session, ctx, trl=6, keywords=[WORD])
    _, headers = await fund(client, session, ctx)
    item = (await discover(client, headers, q=WORD, explain="true"))["items"][0]
    readiness = item["components"][0]
    assert readiness["explanation"] == {"formula": "trl / 9", "inputs": {"trl": 6}}
    assert readiness["points"] == round(25 * 6 / 9, 2)
    assert_sums(item)


async def test_market_counts_open_requests_the_initiative_meets(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    from tests import listing_helpers as lh

    await published(client, session, ctx, trl=6, strategic_group="biotech", keywords=[WORD])
    _, author_headers, _ = await lh.author(client, session, ctx, roles=["enterprise"])
    for trl in (4, 6, 8):  # the last asks for more than the initiative reaches
        await lh.create(client, author_headers, kind="request", strategic_group="biotech", trl=trl)
    await lh.create(client, author_headers, kind="request", strategic_group="energy", trl=3)
    _, headers = await fund(client, session, ctx)
    item = (await discover(client, headers, q=WORD, explain="true"))["items"][0]
    market = item["components"][2]
    assert market["explanation"]["inputs"] == {"open_requests": 2}
    assert market["value"] == pytest.approx(2 / 5)


async def test_reviews_count_for_published_initiatives_as_an_aggregate_only(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx, trl=5, keywords=[WORD])
    reviewers = [await make_user(session, ctx, roles=["reviewer"]) for _ in range(2)]
    admin = await make_user(session, ctx, roles=["admin"])
    for reviewer, mark in zip(reviewers, (5, 3), strict=True):
        session.add(_scored(initiative["id"], reviewer, admin, mark))
    await session.commit()
    _, headers = await fund(client, session, ctx)
    response = await client.get(
        "/api/v1/discovery/initiatives", params={"q": WORD, "explain": "true"}, headers=headers
    )
    reviews = response.json()["items"][0]["components"][3]
    # (5 + 4 x 4) / 5 = 4.2 and (3 + 2 x 4) / 5 = 2.2: a mean of 3.2
    assert reviews["explanation"]["inputs"] == {"reviews": 2, "average": 3.2}
    assert reviews["value"] == pytest.approx(0.55)
    for reviewer in reviewers:
        assert str(reviewer.id) not in response.text
    assert "Great" not in response.text  # comments never leave the review


def _scored(initiative_id: str, reviewer: User, admin: User, mark: int) -> ReviewAssignment:
    return ReviewAssignment(
        initiative_id=uuid.UUID(initiative_id),
        reviewer_id=reviewer.id,
        assigned_by=admin.id,
        has_conflict=False,
        declared_at=utcnow(),
        novelty=mark,
        breakthrough=mark - 1,
        feasibility=mark - 1,
        impact=mark - 1,
        resource_mobilisation=mark - 1,
        comment="Great work",
        scored_at=utcnow(),
    )


async def test_traction_counts_distinct_parties_asking_for_access(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    initiative, _ = await published(client, session, ctx, trl=5, keywords=[WORD])
    requester, headers = await fund(client, session, ctx)
    other, _ = await fund(client, session, ctx)
    for who in (requester, requester, other):
        session.add(
            AccessRequest(
                initiative_id=uuid.UUID(initiative["id"]),
                requester_id=who.id,
                nda_version="2026-01",
                nda_accepted_at=utcnow() - timedelta(days=1),
            )
        )
    await session.commit()
    item = (await discover(client, headers, q=WORD, explain="true"))["items"][0]
    assert item["components"][4]["explanation"]["inputs"] == {"interested_parties": 2}


async def test_drafts_and_confidential_text_never_feed_discovery(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    who = await ih.actors(client, session, ctx)
    draft = await ih.create(client, who.owner_headers, keywords=[WORD])
    selected = await ih.create(client, who.owner_headers, keywords=[WORD])
    await ih.advance(client, selected["id"], "selected", who)
    shown, _ = await published(client, session, ctx, keywords=[WORD])
    _, headers = await fund(client, session, ctx)
    page = await discover(client, headers, q=WORD)
    assert [i["initiative"]["id"] for i in page["items"]] == [shown["id"]]
    assert draft["id"] not in str(page)
    secret = await discover(client, headers, q=ih.CONFIDENTIAL_WORD)
    assert secret["items"] == []
    assert "description" not in page["items"][0]["initiative"]


async def test_filters_narrow_the_ranked_list(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    low, _ = await published(client, session, ctx, trl=3, province="HN", keywords=[WORD])
    high, owner = await published(
        client, session, ctx, trl=8, province="CT", strategic_group="energy", keywords=[WORD]
    )
    await link_right(session, owner, high["id"], "granted")
    _, headers = await fund(client, session, ctx)

    async def ids(**params: object) -> list[str]:
        page = await discover(client, headers, q=WORD, **params)
        return [i["initiative"]["id"] for i in page["items"]]

    assert await ids(trl_min=5) == [high["id"]]
    assert await ids(trl_max=5) == [low["id"]]
    assert await ids(province="HN") == [low["id"]]
    assert await ids(strategic_group="energy") == [high["id"]]
    assert await ids(ip_status="granted") == [high["id"]]
    assert await ids(ip_status="none") == [low["id"]]
    assert await ids(stage="commercialized") == []
    assert set(await ids(stage=["published", "commercialized"])) == {low["id"], high["id"]}


async def test_pages_follow_the_ranking(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    for trl in (2, 4, 6, 8, 9):
        await published(client, session, ctx, trl=trl, keywords=[WORD])
    _, headers = await fund(client, session, ctx)
    seen, params = [], {"q": WORD, "limit": 2}
    while True:
        page = await discover(client, headers, **params)
        seen += [i["initiative"]["trl"] for i in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [9, 8, 6, 4, 2]
    other = await client.get(
        "/api/v1/discovery/initiatives",
        params={"q": "khac", "cursor": params["cursor"]},
        headers=headers,
    )
    assert other.status_code == 400


async def test_discovery_needs_the_discovery_scope(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, scientist = await login(client, session, ctx, roles=["scientist"])
    response = await client.get("/api/v1/discovery/initiatives", headers=scientist)
    assert response.status_code == 403
    assert (await client.get("/api/v1/discovery/listings")).status_code == 401
    _, enterprise = await login(client, session, ctx, roles=["enterprise"])
    response = await client.get("/api/v1/discovery/listings", headers=enterprise)
    assert response.status_code == 200


async def test_out_of_vocabulary_filters_answer_422(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await fund(client, session, ctx)
    for params in ({"stage": "draft"}, {"trl_min": 0}, {"strategic_group": "magic"}):
        response = await client.get("/api/v1/discovery/initiatives", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
