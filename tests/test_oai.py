"""OAI-PMH 2.0 at /oai: a standard harvester (Sickle) and the protocol's verbs and errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.listing_helpers import author, create
from tests.oai_helpers import NS, AsgiAdapter, InProcessSickle, error_code, identifier, oai_get
from tests.sync_helpers import delete, exchange_headers, pushed, upsert


@dataclass
class Catalogue:
    live: set[str]
    deleted: set[str]
    withdrawn: str
    tombstone: str


@pytest.fixture
async def catalogue(client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext) -> Catalogue:
    """Local listings (one withdrawn), pushed ones, a pushed delete and a delete of an unknown."""
    _, headers, _ = await author(client, session, ctx)
    local = [await create(client, headers, title={"vi": f"Công nghệ {n}"}) for n in range(4)]
    local.append(await create(client, headers, kind="request", strategic_group="ai"))
    withdrawn = local[0]["id"]
    patch = {**headers, "If-Match": f'"{local[0]["version"]}"'}
    answer = await client.patch(
        f"/api/v1/listings/{withdrawn}", json={"status": "withdrawn"}, headers=patch
    )
    assert answer.status_code == 200, answer.text
    hn = await exchange_headers(client, session, ctx)
    added = await pushed(client, hn, [upsert("P1", 1), upsert("P2", 1), upsert("P3", 1)])
    removed = await pushed(client, hn, [delete("P2", 2), delete("Z9", 1)])
    live = {item["id"] for item in local[1:]} | {added[0]["id"], added[2]["id"]}
    deleted = {withdrawn} | {result["id"] for result in removed}
    return Catalogue(live=live, deleted=deleted, withdrawn=withdrawn, tombstone=removed[0]["id"])


@pytest.fixture
def small_pages(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx.settings.sync, "oai_page_size", 2)


async def test_sickle_harvests_every_published_listing_and_every_deletion_through_tokens(
    client: httpx.AsyncClient, catalogue: Catalogue, small_pages: None
) -> None:
    adapter = AsgiAdapter(client, asyncio.get_running_loop())

    def harvest() -> list[tuple[str, bool, dict[str, list[str]]]]:
        sickle = InProcessSickle(adapter)
        records = sickle.ListRecords(metadataPrefix="oai_dc")
        return [
            (r.header.identifier, r.header.deleted, getattr(r, "metadata", {})) for r in records
        ]

    records = await asyncio.to_thread(harvest)
    live = {ident: meta for ident, deleted, meta in records if not deleted}
    gone = {ident for ident, deleted, _ in records if deleted}
    assert set(live) == {identifier(i) for i in catalogue.live}
    assert gone == {identifier(i) for i in catalogue.deleted}
    assert len(records) == len(catalogue.live) + len(catalogue.deleted)
    assert adapter.calls == (len(records) + 1) // 2  # two items a page, one request each
    assert all(meta["title"] and meta["identifier"] for meta in live.values())


async def test_sickle_lists_identifiers_with_post(
    client: httpx.AsyncClient, catalogue: Catalogue, small_pages: None
) -> None:
    adapter = AsgiAdapter(client, asyncio.get_running_loop())

    def harvest() -> set[str]:
        sickle = InProcessSickle(adapter, http_method="POST")
        return {h.identifier for h in sickle.ListIdentifiers(metadataPrefix="oai_dc")}

    expected = {identifier(i) for i in catalogue.live | catalogue.deleted}
    assert await asyncio.to_thread(harvest) == expected


async def test_identify_describes_the_repository(client: httpx.AsyncClient) -> None:
    root = await oai_get(client, verb="Identify")
    identify = root.find("oai:Identify", NS)
    assert identify is not None
    fields = {child.tag.split("}")[1]: child.text for child in identify}
    assert fields["baseURL"] == "http://techx.test/oai"
    assert fields["protocolVersion"] == "2.0"
    assert fields["adminEmail"] == "operator@techx.invalid"
    assert fields["deletedRecord"] == "persistent"
    assert fields["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert fields["earliestDatestamp"]
    request = root.find("oai:request", NS)
    assert request is not None and request.get("verb") == "Identify"


async def test_get_record_of_a_live_listing_has_dublin_core(
    client: httpx.AsyncClient, catalogue: Catalogue
) -> None:
    listing_id = sorted(catalogue.live)[0]
    root = await oai_get(
        client, verb="GetRecord", identifier=identifier(listing_id), metadataPrefix="oai_dc"
    )
    record = root.find("oai:GetRecord/oai:record", NS)
    assert record is not None and record.find("oai:header", NS).get("status") is None  # type: ignore[union-attr]
    dc = record.find("oai:metadata/oai_dc:dc", NS)
    assert dc is not None
    assert dc.find("dc:identifier", NS).text.endswith(f"/api/v1/listings/{listing_id}")  # type: ignore[union-attr]
    assert {t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in dc.findall("dc:title", NS)}


@pytest.mark.parametrize("which", ["withdrawn", "tombstone"])
async def test_get_record_of_a_deleted_item_is_a_deleted_header_without_metadata(
    client: httpx.AsyncClient, catalogue: Catalogue, which: str
) -> None:
    ident = identifier(getattr(catalogue, which))
    root = await oai_get(client, verb="GetRecord", identifier=ident, metadataPrefix="oai_dc")
    record = root.find("oai:GetRecord/oai:record", NS)
    assert record is not None
    assert record.find("oai:header", NS).get("status") == "deleted"  # type: ignore[union-attr]
    assert record.find("oai:metadata", NS) is None


async def test_from_and_until_are_inclusive_at_second_granularity(
    client: httpx.AsyncClient, catalogue: Catalogue
) -> None:
    root = await oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    stamps = sorted(h.findtext("oai:datestamp", "", NS) for h in root.iterfind(".//oai:header", NS))
    first, last = stamps[0], stamps[-1]
    same = await oai_get(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": first, "until": last}
    )
    assert len(same.findall(".//oai:header", NS)) == len(stamps)
    before = await oai_get(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01"
    )
    assert error_code(before) == "noRecordsMatch"


async def test_sets_select_by_kind(client: httpx.AsyncClient, catalogue: Catalogue) -> None:
    sets = await oai_get(client, verb="ListSets")
    specs = {s.findtext("oai:setSpec", "", NS) for s in sets.iterfind(".//oai:set", NS)}
    assert {"kind:offer", "kind:request", "group:ai"} <= specs
    root = await oai_get(client, verb="ListRecords", metadataPrefix="oai_dc", set="kind:request")
    live = [h for h in root.iterfind(".//oai:header", NS) if h.get("status") is None]
    assert [h.findtext("oai:setSpec", "", NS) for h in live] == ["kind:request"]


async def test_list_metadata_formats_offers_oai_dc(client: httpx.AsyncClient) -> None:
    root = await oai_get(client, verb="ListMetadataFormats")
    assert root.findtext(".//oai:metadataPrefix", None, NS) == "oai_dc"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "set": "kind:offer"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2026-01-02",
                "until": "2026-01-01",
            },
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2026-01-01",
                "until": "2026-01-02T00:00:00Z",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "forged.token"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "identifier": "oai:elsewhere:1", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": identifier("0" * 32)}, "idDoesNotExist"),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "kind:gift"},
            "noRecordsMatch",
        ),
    ],
)
async def test_errors_are_oai_error_elements_with_http_200(
    client: httpx.AsyncClient, params: dict[str, str], code: str
) -> None:
    root = await oai_get(client, **params)
    assert error_code(root) == code
    request = root.find("oai:request", NS)
    assert request is not None and request.text == "http://techx.test/oai"
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}


async def test_repeated_argument_is_bad_argument(client: httpx.AsyncClient) -> None:
    response = await client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert "badArgument" in response.text


async def test_a_token_reissued_returns_the_same_page_and_the_last_page_an_empty_token(
    client: httpx.AsyncClient, catalogue: Catalogue, small_pages: None
) -> None:
    first = await oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.findtext(".//oai:resumptionToken", None, NS)
    assert token
    again = [await oai_get(client, verb="ListIdentifiers", resumptionToken=token) for _ in range(2)]
    ids = [
        [h.findtext("oai:identifier", "", NS) for h in r.iterfind(".//oai:header", NS)]
        for r in again
    ]
    assert ids[0] == ids[1] and len(ids[0]) == 2
    while token:
        page = await oai_get(client, verb="ListIdentifiers", resumptionToken=token)
        element = page.find(".//oai:resumptionToken", NS)
        assert element is not None
        token = element.text
    assert element.get("cursor") is not None


async def test_a_token_of_another_verb_is_refused(
    client: httpx.AsyncClient, catalogue: Catalogue, small_pages: None
) -> None:
    first = await oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.findtext(".//oai:resumptionToken", "", NS)
    root = await oai_get(client, verb="ListRecords", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
