"""Search relevance on the fixed catalogue of ``tests/fixtures/relevance/`` and its graded
judgements: nDCG@10 and P@5 of listing search, and of plain folded search (the behaviour before
two-level matching and synonyms) on the same catalogue and queries, per database.

nDCG@10 uses gains ``2**grade - 1`` and the ideal order of every judged listing; P@5 counts the
first five results graded 2 or 3. The relevance suite (``tests/test_search_relevance.py``)
asserts floors on these figures; ``python -m bench`` prints them.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.config import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "relevance"
SECTION = "relevance"
DEPTH = 10
PRECISION_DEPTH = 5
RELEVANT_GRADE = 2


@dataclass(frozen=True)
class Judged:
    q: str
    grades: dict[str, int]  # topic → grade


@dataclass
class Run:
    """Each query's first ``DEPTH`` listing keys, in order, for one database and one mode."""

    top: dict[str, list[str]] = field(default_factory=dict)


def catalogue() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / "catalogue.json").read_text("utf-8"))
    return data


def judgements() -> list[Judged]:
    data = json.loads((FIXTURES / "queries.json").read_text("utf-8"))
    return [Judged(item["q"], item["grades"]) for item in data["queries"]]


def _topic(key: str) -> str:
    return key.rsplit("-", 1)[0]


def ndcg(keys: list[str], judged: Judged, topics: dict[str, int]) -> float:
    """nDCG@DEPTH of ``keys``; ``topics`` counts the catalogue's listings per topic."""

    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades[:DEPTH]))

    ideal = sorted(
        (grade for topic, grade in judged.grades.items() for _ in range(topics.get(topic, 0))),
        reverse=True,
    )
    best = dcg(ideal)
    return dcg([judged.grades.get(_topic(key), 0) for key in keys]) / best if best else 0.0


def precision(keys: list[str], judged: Judged) -> float:
    top = keys[:PRECISION_DEPTH]
    hits = sum(1 for key in top if judged.grades.get(_topic(key), 0) >= RELEVANT_GRADE)
    return hits / PRECISION_DEPTH


@dataclass(frozen=True)
class Scores:
    ndcg: float
    p5: float


def scores(run: Run) -> Scores:
    """Mean nDCG@10 and P@5 of a run over every judged query."""
    topics: dict[str, int] = {}
    for listing in catalogue():
        topics[listing["topic"]] = topics.get(listing["topic"], 0) + 1
    judged = judgements()
    return Scores(
        ndcg=statistics.mean(ndcg(run.top[j.q], j, topics) for j in judged),
        p5=statistics.mean(precision(run.top[j.q], j) for j in judged),
    )


def _row(org_id: uuid.UUID, listing: dict[str, Any], now: Any) -> dict[str, Any]:
    from app.models.listing import LOCAL_EXCHANGE
    from app.services.listings.records import derived_columns

    values: dict[str, Any] = {
        "id": uuid.uuid5(uuid.NAMESPACE_URL, f"techx-relevance:{listing['key']}"),
        "kind": "offer",
        "title": listing["title"],
        "summary": listing["summary"],
        "description": None,
        "strategic_group": listing["strategic_group"],
        "st_field": None,
        "ipc": [],
        "keywords": listing["keywords"],
        "trl": 5,
        "ip_status": "none",
        "transaction_types": [],
        "province": "HN",
        "organisation_id": org_id,
        "status": "active",
        "expires_at": now + timedelta(days=365),
        "origin_exchange": LOCAL_EXCHANGE,
        "origin_id": listing["key"],
    }
    return {**values, **derived_columns(values)}


async def load(url: str) -> None:
    """Migrate the empty database at ``url`` and insert the catalogue, in its order."""
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.migrations import upgrade
    from app.models import Listing, Organisation
    from app.models.base import utcnow

    await asyncio.to_thread(upgrade, url)
    engine = engine_for(url)
    org_id = uuid.uuid4()
    now = utcnow()
    try:
        async with AsyncSession(engine) as session:
            org = {"id": org_id, "name": "Viện Đánh giá Tìm kiếm", "kind": "institute"}
            await session.execute(insert(Organisation), [org])
            rows = [_row(org_id, listing, now) for listing in catalogue()]
            await session.execute(insert(Listing), rows)
            await session.commit()
    finally:
        await engine.dispose()


def engine_for(url: str) -> Any:
    """An async engine on ``url`` (SQLite with the application's connection hooks)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.database import install_sqlite_hooks

    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine, busy_timeout_ms=5000)
    return engine


async def rank(url: str, *, accents: bool) -> Run:
    """The first ``DEPTH`` results of every judged query, through the search service."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.search import engine as search
    from app.services.search.sql import Scope, SearchFilters

    engine = engine_for(url)
    run = Run()
    try:
        async with AsyncSession(engine) as session:
            for judged in judgements():
                result = await search.search(
                    session,
                    q=judged.q,
                    filters=SearchFilters(),
                    scope=Scope(),
                    cursor=None,
                    limit=DEPTH,
                    with_facets=False,
                    accents=accents,
                )
                run.top[judged.q] = [listing.origin_id for listing, _ in result.hits]
    finally:
        await engine.dispose()
    return run


@dataclass(frozen=True)
class DatabaseFigures:
    database: str
    search: Scores
    folded: Scores
    top: dict[str, list[str]]


async def evaluate(database: str, url: str) -> DatabaseFigures:
    """Load the catalogue into the empty database at ``url``; score both modes on it."""
    await load(url)
    new, folded = await rank(url, accents=True), await rank(url, accents=False)
    return DatabaseFigures(database, scores(new), scores(folded), new.top)


def as_dict(figures: list[DatabaseFigures]) -> list[dict[str, object]]:
    return [
        {
            "database": f.database,
            "ndcg_at_10": round(f.search.ndcg, 4),
            "p_at_5": round(f.search.p5, 4),
            "folded_ndcg_at_10": round(f.folded.ndcg, 4),
            "folded_p_at_5": round(f.folded.p5, 4),
        }
        for f in figures
    ]


def lines(figures: list[DatabaseFigures], skipped: str | None) -> list[str]:
    """The printed section: one row per database and mode, and whether the top 10 agree."""
    out = [
        f"relevance: {len(judgements())} graded queries over {len(catalogue())} listings "
        f"(tests/fixtures/relevance)",
        "",
        f"{'database':<11}| {'search':<26}| {'plain folded search':<26}| nDCG gain",
        f"{'-' * 11}+{'-' * 27}+{'-' * 27}+----------",
    ]
    for f in figures:
        new = f"nDCG@10 {f.search.ndcg:.3f}  P@5 {f.search.p5:.3f}"
        old = f"nDCG@10 {f.folded.ndcg:.3f}  P@5 {f.folded.p5:.3f}"
        out.append(f"{f.database:<11}| {new:<26}| {old:<26}| {f.search.ndcg - f.folded.ndcg:+.3f}")
    if len(figures) == 2:
        differ = [q for q in figures[0].top if figures[0].top[q] != figures[1].top[q]]
        out.append("")
        out.append(
            "same top 10 on both databases for every query"
            if not differ
            else f"top 10 differ between the databases for: {', '.join(differ)}"
        )
    if skipped:
        out.append(f"PostgreSQL skipped: {skipped}")
    return out


async def run(pg_admin_url: str, workdir: Path) -> tuple[list[DatabaseFigures], str | None]:
    """Both databases, each a throwaway one; PostgreSQL only when it answers."""
    from bench.databases import PostgresDatabase

    figures = [await evaluate("SQLite", f"sqlite+aiosqlite:///{workdir / 'relevance.db'}")]
    skipped = await PostgresDatabase.unreachable(pg_admin_url)
    if skipped is None:
        database = await PostgresDatabase.create(pg_admin_url)
        try:
            figures.append(await evaluate("PostgreSQL", database.url))
        finally:
            await database.drop()
    return figures, skipped


# Search latency before two-level matching and synonyms: the search workload (same URLs, 100,000
# listings) measured on main at the commit named there, in runs interleaved with this branch's.
BASELINE = PROJECT_ROOT / "bench" / "baselines" / "search-before-two-level.json"
LATENCY_CEILING = 1.3


def baseline_lines(rows: list[Any], database: str) -> list[str]:
    """The search p95 beside the recorded figure from before two-level matching, and the ratio
    of each to its bare SQL (the run-independent comparison: absolute times drift ±30%)."""
    search = next((r for r in rows if (r.workload, r.ceiling) == ("search", "search-sql")), None)
    if search is None or not BASELINE.exists():
        return []
    recorded = json.loads(BASELINE.read_text("utf-8"))
    kind = "sqlite" if database.startswith("SQLite") else "postgres"
    before = recorded["databases"][kind]
    p95 = search.figure.p95 * 1000
    ratio = p95 / before["p95_ms"]
    verdict = "within" if ratio <= LATENCY_CEILING else "OVER"
    return [
        "",
        f"search p95 {p95:,.0f} ms; before two-level matching {before['p95_ms']:,.0f} ms "
        f"(main {recorded['commit']}, {recorded['listings']:,} listings, same URLs): "
        f"{ratio:.2f}× ({verdict} {LATENCY_CEILING}×)",
        f"search / bare SQL throughput ratio {search.ratio:.3f}×; "
        f"before two-level matching {before['ratio_to_sql']:.3f}×",
    ]
