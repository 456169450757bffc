"""Full-text search: Vietnamese folding, NFC/NFD, hostile input, filters, facets, cursors."""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from app.context import AppContext
from tests import listing_helpers as lh

TARGET = "Công nghệ sinh học tái tổ hợp sản xuất vắc-xin thú y"


async def _corpus(client, session, ctx: AppContext) -> tuple[str, str]:
    """The target listing, and distractors that share some words or only mention the phrase."""
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"kho{uuid.uuid4().hex[:8]}"
    target = await lh.create(client, headers, title={"vi": TARGET}, keywords=[marker])
    for title, summary in DISTRACTORS:
        await lh.create(
            client, headers, title={"vi": title}, summary={"vi": summary}, keywords=[marker]
        )
    return target["id"], marker


DISTRACTORS = (
    ("Công nghệ thông tin cho bệnh viện", "Phần mềm quản lý hồ sơ bệnh án."),
    ("Sinh học phân tử trong chọn giống lúa", "Chỉ thị phân tử hỗ trợ chọn giống."),
    ("Hệ thống tưới nhỏ giọt", "Ứng dụng công nghệ sinh học và cảm biến độ ẩm đất."),
    ("Vật liệu sinh học cho công nghệ in 3D", "Nhựa phân huỷ sinh học từ tinh bột sắn."),
)


@pytest.mark.parametrize(
    "query",
    [
        "cong nghe sinh hoc",
        "CÔNG NGHỆ SINH HỌC",
        "Công nghệ sinh học",
        unicodedata.normalize("NFD", "công nghệ sinh học"),
        "công NGHE sinh Học",
    ],
    ids=["folded", "upper", "nfc", "nfd", "mixed"],
)
async def test_diacritics_case_and_nfd_queries_find_the_listing_first(
    client, session, ctx: AppContext, query
) -> None:
    target, marker = await _corpus(client, session, ctx)
    page = await lh.search(client, q=f"{query} {marker}")
    assert page["items"][0]["id"] == target
    assert page["items"][0]["score"] > page["items"][1]["score"]


async def test_ranking_is_the_same_weighted_word_count_on_every_database(
    client, session, ctx: AppContext
) -> None:
    _, marker = await _corpus(client, session, ctx)
    page = await lh.search(client, q=f"sinh học {marker}")
    ranked = [(item["title"]["vi"], item["score"]) for item in page["items"]]
    # Each word found with its accents (or typed without any): 16 in the title, 8 in keywords,
    # 4 in the summary; each adjacent pair of query words: 16 in the title, 4 in the summary.
    # Equal scores: the newest first.
    assert ranked == [
        ("Vật liệu sinh học cho công nghệ in 3D", 2 * 16 + 8 + 2 * 4 + 16 + 4),
        ("Sinh học phân tử trong chọn giống lúa", 2 * 16 + 8 + 16),
        (TARGET, 2 * 16 + 8 + 16),
        ("Hệ thống tưới nhỏ giọt", 8 + 2 * 4 + 4),
    ]


async def _titles(client, headers, marker: str, titles: list[str]) -> dict[str, str]:
    ids = {}
    for title in titles:
        created = await lh.create(
            client, headers, title={"vi": title}, summary={"vi": "Tóm tắt."}, keywords=[marker]
        )
        ids[title] = created["id"]
    return ids


async def test_accents_typed_outrank_text_without_them_and_leave_out_other_words(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"kho{uuid.uuid4().hex[:8]}"
    titles = ["Máy sấy nông sản", "Nền tảng điện toán đám mây", "May say nong san"]
    ids = await _titles(client, headers, marker, titles)
    accented = await lh.search(client, q=f"máy {marker}")
    # "máy" in the title: 16; written "may" (no accents): 8; "mây" is another word.
    assert [(i["id"], i["score"]) for i in accented["items"]] == [
        (ids["Máy sấy nông sản"], 16 + 8),
        (ids["May say nong san"], 8 + 8),
    ]
    folded = await lh.search(client, q=f"MAY {marker}")
    assert {i["id"] for i in folded["items"]} == set(ids.values())
    assert {i["score"] for i in folded["items"]} == {16 + 8}


async def test_old_and_new_tone_placement_find_each_other(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"kho{uuid.uuid4().hex[:8]}"
    ids = await _titles(client, headers, marker, ["Hóa chất thủy sản", "Hoạ sĩ"])
    for query in ("hoá chất thuỷ sản", "hóa chất thủy sản", "HOÁ"):
        page = await lh.search(client, q=f"{query} {marker}")
        assert [i["id"] for i in page["items"]] == [ids["Hóa chất thủy sản"]]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("vacxin", "Vắc-xin cúm gia cầm"),
        ("vaccine", "Vắc xin cúm gia cầm"),
        ("vắc-xin", "Poultry flu vaccine"),
        ("artificial intelligence", "Ứng dụng trí tuệ nhân tạo trong y tế"),
        ("AI", "Nghiên cứu TTNT cho nông nghiệp"),
        ("TTNT", "AI for crop forecasting"),
        ("bảo mật", "Nền tảng giám sát an ninh mạng"),
    ],
)
async def test_synonyms_and_spelling_variants_find_each_other(
    client, session, ctx: AppContext, query: str, title: str
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"kho{uuid.uuid4().hex[:8]}"
    ids = await _titles(client, headers, marker, [title, "Máy sấy nông sản"])
    page = await lh.search(client, q=f"{query} {marker}")
    assert [i["id"] for i in page["items"]] == [ids[title]]


async def test_nfd_listing_is_found_by_an_nfc_query(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    nfd_title = unicodedata.normalize("NFD", "Máy sấy nông sản dùng năng lượng mặt trời")
    listing = await lh.create(client, headers, title={"vi": nfd_title})
    page = await lh.search(client, q="Máy sấy nông sản")
    assert page["items"][0]["id"] == listing["id"]


async def test_dien_finds_dien_with_stroke(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"d{uuid.uuid4().hex[:8]}"
    listing = await lh.create(
        client, headers, title={"vi": "Bộ biến tần điện gió ĐIỆN ÁP cao"}, keywords=[marker]
    )
    for query in ("dien", "DIEN ap", "điện"):
        page = await lh.search(client, q=f"{query} {marker}")
        assert [item["id"] for item in page["items"]] == [listing["id"]], query


async def test_english_words_are_searched_too(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"en{uuid.uuid4().hex[:8]}"
    listing = await lh.create(client, headers, keywords=[marker])
    page = await lh.search(client, q=f"Organic FERTILISER straw {marker}")
    assert [item["id"] for item in page["items"]] == [listing["id"]]


@pytest.mark.parametrize(
    "query", ['"', "NEAR(", "a OR", "*", ":", "'", "\\", "a & b | !c", "(((", "-x", "NOT AND"]
)
async def test_query_syntax_in_user_input_is_taken_literally(client, query) -> None:
    response = await client.get("/api/v1/listings", params={"q": query})
    assert response.status_code == 200
    assert isinstance(response.json()["items"], list)


async def test_every_word_must_match(client, session, ctx: AppContext) -> None:
    target, marker = await _corpus(client, session, ctx)
    assert [i["id"] for i in (await lh.search(client, q=f"{marker} vac xin"))["items"]] == [target]
    assert (await lh.search(client, q=f"{marker} robot"))["items"] == []
    assert (await lh.search(client, q=marker))["total"] == 1 + len(DISTRACTORS)


async def test_filters_narrow_the_results(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"loc{uuid.uuid4().hex[:8]}"
    first = await lh.create(client, headers, keywords=[marker], trl=3, province="HN")
    await lh.create(client, headers, keywords=[marker], trl=8, kind="request", province="HCM")
    found = await lh.search(client, q=marker, trl_max=4, province=["HN", "DNG"], kind="offer")
    assert [item["id"] for item in found["items"]] == [first["id"]]


async def test_level_one_field_filter_includes_its_level_two_fields(
    client, session, ctx: AppContext
) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"lv{uuid.uuid4().hex[:8]}"
    agri = await lh.create(client, headers, keywords=[marker], st_field="406")
    await lh.create(client, headers, keywords=[marker], st_field="202")
    page = await lh.search(client, q=marker, st_field="4")
    assert [item["id"] for item in page["items"]] == [agri["id"]]
    assert page["facets"]["st_field"] == {"4": 1, "406": 1}


async def test_unknown_filter_code_is_422_naming_the_parameter(client) -> None:
    response = await client.get("/api/v1/listings", params={"strategic_group": "steam"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["query", "strategic_group", 0]
    assert "biotech" in error["msg"]


async def test_forged_cursor_is_400(client) -> None:
    response = await client.get("/api/v1/listings", params={"cursor": "eyJrIjpbMV19.forged"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-cursor"


async def test_cursor_of_another_query_is_400(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    marker = f"cur{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        await lh.create(client, headers, keywords=[marker])
    page = await lh.search(client, q=marker, limit=1)
    response = await client.get(
        "/api/v1/listings", params={"q": "khac", "cursor": page["next_cursor"]}
    )
    assert response.status_code == 400


async def test_no_contact_details_in_search_results(client, session, ctx: AppContext) -> None:
    user, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    page = await lh.search(client, q="rom ra phan bon")
    item = next(item for item in page["items"] if item["id"] == listing["id"])
    assert user.email not in str(item)
    assert set(item["owner"]) == {"id", "name", "name_en", "kind", "province"}
