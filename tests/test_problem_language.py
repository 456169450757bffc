"""Errors that help: one wording for vocabulary errors, naming the allowed codes, and problem
details in Vietnamese for `Accept-Language: vi` (English by default)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.errors import TechxError
from app.core.problem_language import catalogue, preferred
from app.vocabularies import codes
from tests import listing_helpers
from tests.factories import login
from tests.initiative_helpers import API, payload

VI = {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}


def _vocabulary_messages(problem: dict[str, Any]) -> list[str]:
    return [e["msg"] for e in problem["errors"] if e["type"] == "vocabulary"]


async def test_initiative_ip_record_and_listing_share_one_vocabulary_wording(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    initiative = await client.post(API, json=payload(strategic_group="warp"), headers=headers)
    record = {"ip_type": "warp", "office": "VN", "title": "Thử"}
    ip = await client.post("/api/v1/ip-records", json=record, headers=headers)
    body = listing_helpers.payload(strategic_group="warp")
    listing = await client.post("/api/v1/listings", json=body, headers=headers)

    messages = [_vocabulary_messages(r.json()) for r in (initiative, ip, listing)]
    assert [r.status_code for r in (initiative, ip, listing)] == [422, 422, 422]
    groups = ", ".join(codes("strategic_groups"))
    expected = f"'warp' is not a code of vocabulary strategic_groups; allowed: {groups}"
    assert messages[0] == messages[2] == [expected]
    ip_types = ", ".join(codes("ip_types"))
    assert messages[1] == [f"'warp' is not a code of vocabulary ip_types; allowed: {ip_types}"]


async def test_accept_language_vi_answers_vietnamese_problems(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    missing = f"{API}/00000000-0000-0000-0000-000000000000"

    english = await client.get(missing, headers=headers)
    vietnamese = await client.get(missing, headers=headers | VI)

    assert english.json()["title"] == "Initiative not found"
    assert english.headers["content-language"] == "en"
    assert vietnamese.status_code == 404
    assert vietnamese.json()["type"] == "/problems/initiative-not-found"
    assert vietnamese.json()["title"] == "Không tìm thấy sáng kiến"
    assert vietnamese.json()["detail"].startswith("Không có sáng kiến này")
    assert vietnamese.headers["content-language"] == "vi"


async def test_vietnamese_validation_errors_name_the_allowed_codes(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(API, json=payload(province="ZZ"), headers=headers | VI)

    problem = response.json()
    assert response.status_code == 422
    assert problem["title"] == "Dữ liệu yêu cầu không hợp lệ"
    assert problem["detail"] == "Các trường không hợp lệ: body.province"
    (message,) = _vocabulary_messages(problem)
    assert message.startswith("'ZZ' không phải là mã của bộ từ vựng provinces; các mã hợp lệ: ")
    assert "HN" in message


async def test_route_errors_and_problem_type_pages_speak_vietnamese(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get("/api/v1/nowhere", headers=VI)
    assert unknown.status_code == 404
    assert unknown.json()["title"] == "Không tìm thấy"

    page = await client.get("/problems/transition-not-allowed", headers=VI)
    assert page.json()["title"] == "Quy trình không cho phép bước chuyển này"
    assert page.json()["detail"]
    english = await client.get("/problems/transition-not-allowed")
    assert english.json()["title"] == "The workflow does not allow this transition"


def _problem_classes() -> list[type[TechxError]]:
    found, pending = [], [TechxError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.append(cls)
    return found


async def test_every_problem_type_has_a_vietnamese_title(client: httpx.AsyncClient) -> None:
    own = catalogue()["types"]
    for cls in _problem_classes():
        page = (await client.get(f"/problems/{cls.slug}", headers=VI)).json()
        assert page["title"] != cls.title or cls.slug in own, cls.slug
        assert page["title"] and page["detail"], cls.slug


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("vi", "vi"),
        ("vi-VN", "vi"),
        ("en-US,vi;q=0.9", "en"),
        ("fr, vi;q=0.5", "vi"),
        ("vi;q=0, en", "en"),
        ("fr", "en"),
    ],
)
def test_preferred_language_follows_quality_values(header: str | None, language: str) -> None:
    assert preferred(header) == language
