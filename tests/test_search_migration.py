"""Migration 0010 backfills the exact search text of listings that already exist, and its
downgrade leaves a working folded index; migration 0022 pads the fields ranking weighs once,
and its downgrade strips them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.database import install_sqlite_hooks
from app.core.migrations import downgrade, upgrade
from app.models import Listing, Organisation
from app.services.search import engine as search
from app.services.search.sql import Scope
from tests import listing_helpers as lh
from tests.conftest import fresh_database_url, run_blocking

BEFORE = "0009"
EXACT = ("exact_text", "exact_title", "exact_keywords", "exact_summary")


def _engine(url: str) -> Any:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=5000)
    return engine


async def _insert(url: str, titles: list[str], *, left_out: set[str], **values: Any) -> None:
    """Listings with these titles, written without the columns ``left_out`` (those an earlier
    revision lacked)."""
    engine = _engine(url)
    org_id = uuid.uuid4()
    columns = {c.name for c in Listing.__table__.columns} - left_out
    try:
        async with AsyncSession(engine) as session:
            await session.execute(
                insert(Organisation), [{"id": org_id, "name": "Viện", "kind": "institute"}]
            )
            rows = [lh.row(org_id, title={"vi": title}, **values) for title in titles]
            table = Listing.__table__
            await session.execute(
                insert(table), [{k: v for k, v in r.items() if k in columns} for r in rows]
            )
            await session.commit()
    finally:
        await engine.dispose()


async def _insert_before(url: str, titles: list[str]) -> None:
    """Listings written by the schema of revision 0009 (no exact columns)."""
    await _insert(url, titles, left_out={*EXACT, "filter_keys"})


async def _found(url: str, q: str) -> list[str]:
    return list(await _scores(url, q))


async def _folded_matches(url: str, word: str) -> int:
    engine = _engine(url)
    if engine.dialect.name == "sqlite":
        stmt = text("SELECT count(*) FROM listings_fts WHERE listings_fts MATCH :q")
        params = {"q": f'"{word}"'}
    else:
        stmt = text(
            "SELECT count(*) FROM listings WHERE to_tsvector('simple'::regconfig, search_text)"
            " @@ to_tsquery('simple'::regconfig, :q)"
        )
        params = {"q": word}
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(stmt, params)).scalar_one())
    finally:
        await engine.dispose()


async def test_upgrade_backfills_exact_text_and_downgrade_keeps_folded_search() -> None:
    url = fresh_database_url("search_migration")
    run_blocking(upgrade, url, BEFORE)
    await _insert_before(url, ["Máy sấy nông sản", "Điện toán đám mây", "May mặc xuất khẩu"])

    run_blocking(upgrade, url)
    # "may" (to sew) has no accents: it matches "máy", below the word written with them.
    assert await _found(url, "máy") == ["Máy sấy nông sản", "May mặc xuất khẩu"]
    assert sorted(await _found(url, "may")) == sorted(
        ["Máy sấy nông sản", "Điện toán đám mây", "May mặc xuất khẩu"]
    )

    run_blocking(downgrade, url, BEFORE)
    assert await _folded_matches(url, "may") == 3
    run_blocking(upgrade, url)
    assert await _found(url, "mây") == ["Điện toán đám mây", "May mặc xuất khẩu"]


PADDED_BEFORE = "0021"
RANKED_FIELDS = tuple(
    f"{level}_{name}" for level in ("search", "exact") for name in ("title", "keywords", "summary")
)


async def _ranked_fields(url: str) -> dict[str, dict[str, str]]:
    engine = _engine(url)
    columns = [getattr(Listing, name) for name in RANKED_FIELDS]
    try:
        async with AsyncSession(engine) as session:
            rows = await session.execute(select(Listing.title, *columns))
            return {row[0]["vi"]: dict(zip(RANKED_FIELDS, row[1:], strict=True)) for row in rows}
    finally:
        await engine.dispose()


async def _scores(url: str, q: str) -> dict[str, int]:
    """The titles ``q`` finds, best first, with their scores."""
    engine = _engine(url)
    try:
        async with AsyncSession(engine) as session:
            hits = await search.scored_ids(session, q, scope=Scope(is_admin=True))
            titles = await session.execute(select(Listing.id, Listing.title))
            by_id = {row.id: row.title["vi"] for row in titles}
            return {by_id[listing_id]: score for listing_id, score in hits}
    finally:
        await engine.dispose()


async def test_ranked_fields_are_padded_once_and_the_downgrade_strips_them() -> None:
    url = fresh_database_url("padded_fields")
    run_blocking(upgrade, url, PADDED_BEFORE)
    titles = ["Máy sấy nông sản", "Nông sản sấy bằng máy", "Sấy nông sản"]
    await _insert(url, titles, left_out=set(), keywords=["máy"])
    # The first two as revision 0021 wrote them (unpadded), the third already padded.
    engine = _engine(url)
    plain = {name: func.trim(getattr(Listing, name)) for name in RANKED_FIELDS}
    try:
        async with AsyncSession(engine) as session:
            title = Listing.title["vi"].as_string()
            await session.execute(update(Listing).where(title != titles[2]).values(plain))
            await session.commit()
    finally:
        await engine.dispose()
    before = await _ranked_fields(url)
    assert before["Máy sấy nông sản"]["exact_title"] == "máy sấy nông sản"
    assert before["Sấy nông sản"]["exact_title"] == " sấy nông sản "

    run_blocking(upgrade, url)
    after = await _ranked_fields(url)
    assert after["Máy sấy nông sản"]["exact_title"] == " máy sấy nông sản "
    assert after["Nông sản sấy bằng máy"]["search_title"] == " nong san say bang may "
    assert after["Sấy nông sản"]["exact_title"] == " sấy nông sản "  # not padded twice
    assert {fields["exact_keywords"] for fields in after.values()} == {" máy "}
    # "máy" as the first and as the last word of a title weighs the same; a title without it less.
    scores = await _scores(url, "máy")
    assert scores["Máy sấy nông sản"] == scores["Nông sản sấy bằng máy"]
    assert scores["Máy sấy nông sản"] > scores["Sấy nông sản"] > 0

    run_blocking(downgrade, url, PADDED_BEFORE)
    stripped = await _ranked_fields(url)
    assert stripped["Máy sấy nông sản"]["exact_title"] == "máy sấy nông sản"
    assert stripped["Sấy nông sản"]["exact_summary"] == "tóm tắt"
    assert all(
        not value.startswith(" ") for fields in stripped.values() for value in fields.values()
    )
