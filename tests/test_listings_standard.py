"""The published standard: vocabularies, JSON Schema, JSON-LD context and listings as RDF."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns

from app.context import AppContext
from app.services.listings.standard import TECHX_NS
from tests import listing_helpers as lh

SDO = Namespace("https://schema.org/")
TECHX = Namespace(TECHX_NS)

LISTING_VOCABULARIES = (
    "trl",
    "st27_categories",
    "ip_types",
    "strategic_groups",
    "st_fields",
    "provinces",
    "transaction_types",
    "listing_statuses",
    "ip_statuses",
)


async def test_vocabulary_catalogue_lists_versions_and_sources(client) -> None:
    response = await client.get("/api/v1/vocabularies")
    assert response.status_code == 200
    catalogue = {entry["name"]: entry for entry in response.json()["items"]}
    assert set(LISTING_VOCABULARIES) <= set(catalogue)
    for name in LISTING_VOCABULARIES:
        assert catalogue[name]["version"] and catalogue[name]["source"]
        assert catalogue[name]["terms"] > 0
    assert catalogue["trl"]["terms"] == 9
    assert catalogue["strategic_groups"]["terms"] == 11


@pytest.mark.parametrize("name", LISTING_VOCABULARIES)
async def test_every_term_has_vietnamese_and_english_labels(client, name) -> None:
    response = await client.get(f"/api/v1/vocabularies/{name}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == name
    for term in body["terms"]:
        assert term["label"]["vi"] and term["label"]["en"], term


async def test_st_fields_have_two_levels(client) -> None:
    terms = (await client.get("/api/v1/vocabularies/st_fields")).json()["terms"]
    level1 = [t for t in terms if t["level"] == 1]
    level2 = [t for t in terms if t["level"] == 2]
    assert len(level1) == 6 and len(level2) == 46
    assert all(t["parent"] == t["code"][0] for t in level2)


async def test_unknown_vocabulary_is_404(client) -> None:
    response = await client.get("/api/v1/vocabularies/planets")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/vocabulary-not-found"


async def test_json_schema_is_valid_versioned_and_describes_a_served_listing(
    client, session, ctx: AppContext
) -> None:
    response = await client.get("/api/v1/schemas/listing")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    schema = response.json()
    Draft202012Validator.check_schema(schema)
    assert schema["version"] == "1.0.0"
    assert "version=1.0.0" in schema["$id"]
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    assert list(Draft202012Validator(schema).iter_errors(listing)) == []


async def test_create_schema_refuses_what_the_api_refuses(client) -> None:
    schema = (await client.get("/api/v1/schemas/listing", params={"variant": "create"})).json()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert validator.is_valid(lh.payload())
    assert not validator.is_valid(lh.payload(title={"en": "no Vietnamese"}))
    assert not validator.is_valid(lh.payload(trl=10))


async def test_jsonld_context_maps_to_standard_vocabularies(client) -> None:
    response = await client.get("/api/v1/contexts/listing.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    context = response.json()["@context"]
    assert context["title"]["@id"] == "dct:title"
    assert context["keywords"]["@id"] == "dcat:keyword"
    assert context["schema"] == "https://schema.org/"


# rdflib's JSON-LD parser still builds a ConjunctiveGraph internally.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_jsonld_listing_parses_into_title_trl_and_owner_triples(
    client, session, ctx: AppContext
) -> None:
    _, headers, org = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    response = await client.get(
        f"/api/v1/listings/{listing['id']}", headers={"Accept": "application/ld+json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=json.dumps(response.json()), format="json-ld")
    subject = URIRef(f"http://techx.test/api/v1/listings/{listing['id']}")
    owner = URIRef(f"http://techx.test/api/v1/organisations/{org.id}")
    title = lh.payload()["title"]
    assert (subject, ns.DCTERMS.title, Literal(title["vi"], lang="vi")) in graph
    assert (subject, ns.DCTERMS.title, Literal(title["en"], lang="en")) in graph
    assert (subject, TECHX.technologyReadinessLevel, Literal(6, datatype=ns.XSD.integer)) in graph
    assert (subject, ns.DCTERMS.publisher, owner) in graph
    assert (owner, SDO.name, Literal(org.name)) in graph
    assert (subject, ns.RDF.type, SDO.Offer) in graph


async def test_plain_json_stays_the_default(client, session, ctx: AppContext) -> None:
    _, headers, _ = await lh.author(client, session, ctx)
    listing = await lh.create(client, headers)
    response = await client.get(
        f"/api/v1/listings/{listing['id']}",
        headers={"Accept": "application/json, application/ld+json;q=0.5"},
    )
    assert response.headers["content-type"] == "application/json"
    assert "@context" not in response.json()
