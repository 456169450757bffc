"""Matching quality on the labelled set ``tests/fixtures/matching_pairs.json``.

The offers and requests of the set are loaded into a throwaway SQLite database built by the real
migrations; for every request, the matching service ranks the open offers as
``GET /api/v1/listings/{id}/matches`` does. Precision at 5 is the share of the first five matches
labelled relevant, recall at 10 the share of a request's relevant offers among its first ten;
both are averaged over the requests. Each is printed beside its ceiling on the same set (what a
perfect ranking scores: precision at 5 is below 1 for a request with fewer than five relevant
offers) and their ratio.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import tempfile
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.config import PROJECT_ROOT, BenchConfig

SECTION = "matching-quality"
FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "matching_pairs.json"
LIST_LINE = (
    f"{SECTION:<20} precision@5 and recall@10 of listing matches on the labelled set"
    "  [vs perfect ranking]"
)


@dataclass(frozen=True)
class Quality:
    requests: int
    pairs: int
    precision_at_5: float
    recall_at_10: float
    ideal_precision_at_5: float
    ideal_recall_at_10: float


def load(path: Path = FIXTURE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def relevant(fixture: dict[str, Any]) -> dict[str, set[str]]:
    """Per request key, the keys of the offers labelled relevant."""
    found: dict[str, set[str]] = {r["key"]: set() for r in fixture["requests"]}
    for pair in fixture["pairs"]:
        if pair["relevant"]:
            found[pair["request"]].add(pair["offer"])
    return found


def quality(fixture: dict[str, Any], ranked: dict[str, list[str]]) -> Quality:
    """Precision at 5 and recall at 10 of ``ranked`` (offer keys per request), with ceilings."""
    wanted = relevant(fixture)
    p5 = [len(set(ranked[r][:5]) & wanted[r]) / 5 for r in wanted]
    r10 = [len(set(ranked[r][:10]) & wanted[r]) / len(wanted[r]) for r in wanted if wanted[r]]
    ideal = [min(5, len(wanted[r])) / 5 for r in wanted]
    return Quality(
        requests=len(wanted),
        pairs=len(fixture["pairs"]),
        precision_at_5=statistics.fmean(p5),
        recall_at_10=statistics.fmean(r10),
        ideal_precision_at_5=statistics.fmean(ideal),
        ideal_recall_at_10=1.0,
    )


def listing_rows(fixture: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Column values of every offer and request, each owned by an organisation of its own."""
    from app.models.base import utcnow
    from app.services.listings.records import derived_columns

    organisations, listings = [], []
    for kind, records in (("offer", fixture["offers"]), ("request", fixture["requests"])):
        for record in records:
            org_id, listing_id = uuid.uuid4(), uuid.uuid5(uuid.NAMESPACE_URL, record["key"])
            organisations.append(
                {"id": org_id, "name": f"Tổ chức {record['key']}", "kind": "enterprise"}
            )
            values = {
                "id": listing_id,
                "kind": kind,
                "title": record["title"],
                "summary": record["summary"],
                "description": None,
                "strategic_group": record["strategic_group"],
                "st_field": record["st_field"],
                "ipc": [],
                "keywords": record["keywords"],
                "trl": record["trl"],
                "ip_status": "none",
                "transaction_types": record["transaction_types"],
                "province": record["province"],
                "organisation_id": org_id,
                "status": "active",
                "expires_at": utcnow() + timedelta(days=365),
                "origin_exchange": "LOCAL",
                "origin_id": str(listing_id),
            }
            listings.append({**values, **derived_columns(values)})
    return organisations, listings


def key_of(listing_id: uuid.UUID | str) -> uuid.UUID:
    return uuid.UUID(str(listing_id))


def keys_by_id(fixture: dict[str, Any]) -> dict[uuid.UUID, str]:
    records = [*fixture["offers"], *fixture["requests"]]
    return {uuid.uuid5(uuid.NAMESPACE_URL, r["key"]): r["key"] for r in records}


async def seed(session: Any, fixture: dict[str, Any]) -> None:
    from sqlalchemy import insert

    from app.models import Listing, Organisation

    organisations, listings = listing_rows(fixture)
    await session.execute(insert(Organisation), organisations)
    await session.execute(insert(Listing), listings)
    await session.commit()


async def rank_all(session: Any, fixture: dict[str, Any]) -> dict[str, list[str]]:
    """The offers the matching service ranks for every request of the set (first ten)."""
    from sqlalchemy import select

    from app.models import Listing
    from app.services.discovery import matching
    from app.services.listings.records import Viewer

    names = keys_by_id(fixture)
    ranked = {}
    for request in fixture["requests"]:
        listing_id = uuid.uuid5(uuid.NAMESPACE_URL, request["key"])
        listing = await session.scalar(select(Listing).where(Listing.id == listing_id))
        found = await matching.for_listing(
            session, listing, viewer=Viewer(), limit=10, candidates=2000
        )
        ranked[request["key"]] = [names[m.listing.id] for m in found if m.listing is not None]
    return ranked


async def measure(workdir: Path) -> Quality:
    """Quality of the matching service on the labelled set, in a throwaway SQLite database."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from app.core.migrations import upgrade

    url = f"sqlite+aiosqlite:///{workdir / 'matching.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            fixture = load()
            await seed(session, fixture)
            return quality(fixture, await rank_all(session, fixture))
    finally:
        await engine.dispose()


def rows(result: Quality) -> list[tuple[str, str, str, str, str]]:
    from bench.report import ratio_text

    return [
        (
            SECTION,
            f"precision@5 {result.precision_at_5:.2f}",
            "perfect ranking",
            f"precision@5 {result.ideal_precision_at_5:.2f}",
            ratio_text(result.precision_at_5 / result.ideal_precision_at_5),
        ),
        (
            SECTION,
            f"recall@10 {result.recall_at_10:.2f}",
            "perfect ranking",
            f"recall@10 {result.ideal_recall_at_10:.2f}",
            ratio_text(result.recall_at_10 / result.ideal_recall_at_10),
        ),
    ]


def preamble(result: Quality) -> list[str]:
    return [
        f"labelled set: {result.requests} requests, {result.pairs} labelled pairs"
        f" ({FIXTURE.relative_to(PROJECT_ROOT)}); listing matches, SQLite, in-process",
        "ratio:        figure / ceiling",
    ]


def selected(config: BenchConfig) -> tuple[bool, bool, BenchConfig]:
    """Whether the run includes this section, whether it is all the run asks for, and the
    configuration of the rest of the run (``--only`` without this section)."""
    wanted = not config.only or SECTION in config.only
    rest = tuple(name for name in config.only if name != SECTION)
    return wanted, bool(config.only) and not rest, replace(config, only=rest)


def run_and_print() -> Quality:
    """Measure on a throwaway database and print the section."""
    print("  matching: ranking the labelled set", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="techx-bench-matching-"))
    try:
        result = asyncio.run(measure(workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from bench.report import render_cells

    print("\nmatching quality")
    print("\n".join(preamble(result)))
    print()
    print(render_cells(rows(result)))
    return result
