"""Initiative search: two-level matching of whole words, and synonyms."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.initiative_helpers import API, actors, create


async def _drafts(client, session, ctx, texts: list[tuple[str, str]]) -> tuple[dict, str, list]:
    who = await actors(client, session, ctx)
    marker = f"dx{uuid.uuid4().hex[:8]}"
    ids = []
    for title, summary in texts:
        created = await create(
            client,
            who.owner_headers,
            title={"vi": title},
            summary={"vi": summary},
            keywords=[marker],
        )
        ids.append(created["id"])
    return who.owner_headers, marker, ids


async def _ids(client: httpx.AsyncClient, headers, **params) -> list[str]:
    response = await client.get(API, params={"mine": True, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_accents_typed_rank_first_and_leave_out_other_accented_words(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    texts = [
        ("Máy sấy nông sản", "Sấy khô."),
        ("Lưu trữ đám mây", "Dịch vụ."),
        ("May say nong san", "Khong dau."),
    ]
    headers, marker, (machine, cloud, plain) = await _drafts(client, session, ctx, texts)
    assert await _ids(client, headers, q=f"máy {marker}") == [machine, plain]
    assert await _ids(client, headers, q=f"mây {marker}") == [cloud, plain]
    assert set(await _ids(client, headers, q=f"may {marker}")) == {machine, cloud, plain}


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("vacxin", "Vắc-xin cúm gia cầm"),
        ("AI", "Trí tuệ nhân tạo cho y tế"),
        ("trí tuệ nhân tạo", "AI for hospitals"),
        ("hóa chất", "Xử lý hoá chất"),
    ],
)
async def test_synonyms_and_spellings_find_each_other(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext, query: str, title: str
) -> None:
    texts = [(title, "Tóm tắt."), ("Máy sấy nông sản", "Tóm tắt.")]
    headers, marker, (wanted, _) = await _drafts(client, session, ctx, texts)
    assert await _ids(client, headers, q=f"{query} {marker}") == [wanted]


async def test_words_match_whole_and_punctuation_only_matches_nothing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    texts = [("Cảm biến độ ẩm đất", "Tưới tiết kiệm.")]
    headers, marker, (sensor,) = await _drafts(client, session, ctx, texts)
    assert await _ids(client, headers, q=f"bien {marker}") == [sensor]
    assert await _ids(client, headers, q=f"bie {marker}") == []
    assert await _ids(client, headers, q="%") == []
