"""Owner organisations of synced records: one organisation per owner, however it is spelt.

A record names its owner; the organisation is found by its tax code wherever it came from, else
by its folded name (``search_key``: case, diacritics and punctuation ignored) and kind among the
organisations made from the same origin exchange's records, and made on first sight. So
"Viện Nghiên cứu Hà Nội", "VIỆN NGHIÊN CỨU HÀ NỘI" and "Vien Nghien cuu Ha Noi" pushed by one
exchange are one organisation, while two exchanges' namesakes stay apart until a tax code
joins them. Organisations of this instance (those people belong to) are never matched by name.

A batch resolves all its owners in two statements; an owner not found gets an id at once (its
records' content hashes cover it) and is inserted only if a record that needs it applies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import is_sqlite
from app.models import Organisation
from app.schemas.sync import OwnerRef
from app.services.federation import origins
from app.services.search.folding import search_key

ORGANISATIONS = cast(Table, Organisation.__table__)
OwnerKey = tuple[str, ...]
# An owner organisation as a record needs it: id and province.
OwnerRow = tuple[uuid.UUID, str | None]
NAME_KEY_LENGTH = 300


def name_key(name: str) -> str:
    return search_key(name)[:NAME_KEY_LENGTH]


def _by_name(exchange: str, owner: OwnerRef) -> OwnerKey:
    return ("name", exchange, name_key(owner.name), owner.kind)


def owner_key(exchange: str, owner: OwnerRef) -> OwnerKey:
    """How an owner named in a record of ``exchange`` is found."""
    return ("tax", owner.tax_code) if owner.tax_code else _by_name(exchange, owner)


@dataclass
class Owners:
    """The owners of a batch: those found, and those to make (with the ids already given)."""

    found: dict[OwnerKey, OwnerRow] = field(default_factory=dict)
    new: dict[OwnerKey, dict[str, Any]] = field(default_factory=dict)

    def row(self, key: OwnerKey) -> OwnerRow:
        if key in self.found:
            return self.found[key]
        values = self.new[key]
        return values["id"], values["province"]


async def _tax_codes(session: AsyncSession, codes: list[str]) -> dict[str, OwnerRow]:
    if not codes:
        return {}
    rows = await session.execute(
        select(Organisation.id, Organisation.province, Organisation.tax_code).where(
            Organisation.tax_code.in_(codes)
        )
    )
    return {tax: (org_id, province) for org_id, province, tax in rows}


async def _names(session: AsyncSession, keys: list[OwnerKey]) -> dict[OwnerKey, OwnerRow]:
    if not keys:
        return {}
    named = [(exchange, name) for _, exchange, name, _ in keys]
    names = ("id", "province", "created_at", "origin_exchange", "name_key", "kind")
    query = origins.rows(
        ORGANISATIONS,
        [ORGANISATIONS.c[n] for n in names],
        named,
        postgres=not is_sqlite(session),
        key="name_key",
    )
    # Newest first, so that the oldest of a name is the one kept.
    newest = sorted(await session.execute(query), key=lambda r: (r.created_at, r.id), reverse=True)
    wanted = set(keys)
    found = {
        ("name", row.origin_exchange, row.name_key, row.kind): (row.id, row.province)
        for row in newest
    }
    return {key: row for key, row in found.items() if key in wanted}


def _new(exchange: str, owner: OwnerRef) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "name": owner.name,
        "name_en": owner.name_en,
        "kind": owner.kind,
        "province": owner.province,
        "tax_code": owner.tax_code,
        "origin_exchange": exchange,
        "name_key": name_key(owner.name),
    }


async def resolve(session: AsyncSession, named: list[tuple[str, OwnerRef]]) -> Owners:
    """The organisations of owners named in records of the given exchanges."""
    refs = {owner_key(exchange, owner): (exchange, owner) for exchange, owner in named}
    name_keys = {_by_name(exchange, owner) for exchange, owner in refs.values()}
    taxed = await _tax_codes(session, sorted(key[1] for key in refs if key[0] == "tax"))
    by_name = await _names(session, sorted(name_keys))
    owners = Owners()
    for key, (exchange, owner) in refs.items():
        found = taxed.get(key[1]) if key[0] == "tax" else None
        found = found or by_name.get(_by_name(exchange, owner))
        if found is not None:
            owners.found[key] = found
        else:
            owners.new[key] = _new(exchange, owner)
    return owners


async def create(session: AsyncSession, owners: Owners, keys: set[OwnerKey]) -> None:
    """Insert the new owners among ``keys`` (one statement); they count as found after."""
    made = [owners.new.pop(key) for key in sorted(keys) if key in owners.new]
    if made:
        await session.execute(insert(ORGANISATIONS), made)
        for values in made:
            owners.found[_key_of(values)] = (values["id"], values["province"])


def _key_of(values: dict[str, Any]) -> OwnerKey:
    if values["tax_code"]:
        return ("tax", values["tax_code"])
    return ("name", values["origin_exchange"], values["name_key"], values["kind"])
