"""Demo catalogue: realistic bilingual listings across strategic groups, fields and provinces.

Generated deterministically from a seed and inserted with Core bulk inserts (one executemany per
batch), so a benchmark catalogue of 100,000 listings loads in seconds, not minutes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo.catalogue import (
    APPLICATIONS,
    BENEFITS,
    DETAILS,
    ORGANISATIONS,
    REQUEST_PREFIX,
    TECHNOLOGIES,
    Technology,
)
from app.models import Listing, Organisation
from app.models.base import utcnow
from app.models.listing import LOCAL_EXCHANGE
from app.services import vocabularies
from app.services.federation import feed
from app.services.listings.records import derived_columns
from app.services.search.folding import search_keys

DEMO_SEED = 20251124
DEMO_COUNT = 300
BATCH = 1000
# Busy provinces list more technology; the rest share the remainder.
PROVINCE_WEIGHTS = {"HN": 30, "HCM": 30, "DNG": 8, "HP": 6, "CT": 6}
IP_STATUS_WEIGHTS = {"none": 35, "filed": 20, "published": 10, "granted": 30, "expired": 5}

Owner = tuple[uuid.UUID, str | None]


async def demo_organisations(session: AsyncSession) -> list[Owner]:
    """The catalogue's organisations (created on first use): (id, province) pairs."""
    names = [name for name, *_ in ORGANISATIONS]
    found = {
        name: (org_id, province)
        for org_id, name, province in await session.execute(
            select(Organisation.id, Organisation.name, Organisation.province).where(
                Organisation.name.in_(names)
            )
        )
    }
    missing = [
        {"id": uuid.uuid4(), "name": name, "name_en": name_en, "kind": kind, "province": province}
        for name, name_en, kind, province in ORGANISATIONS
        if name not in found
    ]
    if missing:
        await session.execute(insert(Organisation), missing)
        found.update({row["name"]: (row["id"], row["province"]) for row in missing})
    return [found[name] for name in names]


def _province(rng: random.Random, home: str | None) -> str:
    if home and rng.random() < 0.6:
        return home
    codes = vocabularies.codes("provinces")
    weights = [PROVINCE_WEIGHTS.get(code, 1) for code in codes]
    return rng.choices(codes, weights)[0]


def _texts(
    rng: random.Random, tech: Technology, kind: str, province: str
) -> dict[str, dict[str, str]]:
    app_vi, app_en = rng.choice(APPLICATIONS)
    benefit_vi, benefit_en = rng.choice(BENEFITS)
    title_vi, title_en = f"{tech.vi} {app_vi}", f"{tech.en} {app_en}"
    if kind == "request":
        title_vi = f"{REQUEST_PREFIX[0]} {tech.vi[0].lower()}{tech.vi[1:]} {app_vi}"
        title_en = f"{REQUEST_PREFIX[1]} {tech.en[0].lower()}{tech.en[1:]} {app_en}"
    place = vocabularies.labels("provinces")[province]
    values = {
        "months": rng.randint(3, 36),
        "people": rng.randint(4, 40),
        "weeks": rng.randint(2, 12),
        "share": rng.randint(40, 95),
    }
    details = rng.sample(DETAILS, 3)
    vi = " ".join(d[0].format(**values, place=place["vi"]) for d in details)
    en = " ".join(d[1].format(**values, place=place["en"]) for d in details)
    texts = {
        "title": {"vi": title_vi, "en": title_en},
        "summary": {"vi": f"{title_vi}: {benefit_vi}.", "en": f"{title_en}: {benefit_en}."},
        "description": {"vi": vi, "en": en},
    }
    if rng.random() < 0.15:  # some listings are in Vietnamese only
        texts = {name: {"vi": text["vi"]} for name, text in texts.items()}
    return texts


def _row(rng: random.Random, owner: Owner, now: datetime) -> dict[str, Any]:
    group = rng.choice(sorted(TECHNOLOGIES))
    tech = rng.choice(TECHNOLOGIES[group])
    kind = "request" if rng.random() < 0.3 else "offer"
    province = _province(rng, owner[1])
    created = now - timedelta(days=rng.uniform(0, 365))
    listing_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    offer_price = kind == "offer" and rng.random() < 0.7
    values: dict[str, Any] = {
        "id": listing_id,
        "kind": kind,
        **_texts(rng, tech, kind, province),
        "strategic_group": group,
        "st_field": tech.st_field,
        "ipc": list(tech.ipc),
        "keywords": list(tech.keywords),
        "trl": rng.randint(2, 6) if kind == "request" else rng.randint(3, 9),
        "ip_status": rng.choices(list(IP_STATUS_WEIGHTS), list(IP_STATUS_WEIGHTS.values()))[0],
        "transaction_types": rng.sample(vocabularies.codes("transaction_types"), rng.randint(1, 3)),
        "price_amount": rng.randrange(50, 5000) * 1_000_000 if offer_price else None,
        "price_currency": "VND" if offer_price else None,
        "price_negotiable": rng.random() < 0.6 if offer_price else None,
        "province": province,
        "organisation_id": owner[0],
        "status": "closed" if rng.random() < 0.04 else "active",
        "expires_at": now + timedelta(days=rng.uniform(-30, 700)),
        "origin_exchange": LOCAL_EXCHANGE,
        "origin_id": str(listing_id),
        "created_at": created,
        "updated_at": created,
    }
    return {**values, **derived_columns(values, keys=_cached_keys)}


@lru_cache(maxsize=100_000)
def _sentence_keys(text: str) -> tuple[str, str]:
    return search_keys(text)


def _cached_keys(text: str) -> tuple[str, str]:
    """``search_keys`` sentence by sentence, cached: generated text repeats its sentences, and
    a full stop with a space folds to a word break either way."""
    pairs = [_sentence_keys(sentence) for sentence in text.split(". ")]
    return " ".join(filter(None, (p[0] for p in pairs))), " ".join(
        filter(None, (p[1] for p in pairs))
    )


def generate(owners: list[Owner], count: int, *, seed: int) -> Iterator[dict[str, Any]]:
    """``count`` listing rows (column values), the same ones for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    now = utcnow()
    for _ in range(count):
        yield _row(rng, rng.choice(owners), now)


async def add_listings(session: AsyncSession, count: int, *, seed: int | None = None) -> int:
    """Insert ``count`` generated listings in batches; a new seed each run unless given."""
    owners = await demo_organisations(session)
    if seed is None:
        existing = await session.scalar(select(func.count()).select_from(Listing))
        seed = DEMO_SEED + int(existing or 0)
    batch: list[dict[str, Any]] = []
    for row in generate(owners, count, seed=seed):
        batch.append(row)
        if len(batch) == BATCH:
            await _insert(session, batch)
            batch = []
    if batch:
        await _insert(session, batch)
    return count


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """The rows and their change-feed entries, as every other write of a listing does."""
    await session.execute(insert(Listing), rows)
    entries = [
        {
            "op": "upsert",
            "listing_id": row["id"],
            "origin_exchange": row["origin_exchange"],
            "origin_id": row["origin_id"],
            "version": 1,
        }
        for row in rows
    ]
    await feed.record_many(session, entries)


async def seed_catalogue(session: AsyncSession) -> bool:
    """The demo catalogue, once; ``True`` when it was added now."""
    owners = [org_id for org_id, _ in await demo_organisations(session)]
    present = await session.scalar(
        select(Listing.seq).where(Listing.organisation_id.in_(owners)).limit(1)
    )
    if present is not None:
        return False
    await add_listings(session, DEMO_COUNT, seed=DEMO_SEED)
    return True
