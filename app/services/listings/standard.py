"""The published listing standard: JSON Schema, JSON-LD context, and listings as JSON-LD."""

from __future__ import annotations

from typing import Any

from app.schemas.listing import METADATA_VERSION, ListingCreate, ListingRead

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Namespace of the terms schema.org, DCAT and Dublin Core do not cover (a name, not a download).
TECHX_NS = "https://w3id.org/techx/listing/v1#"

CONTEXT: dict[str, Any] = {
    "@version": 1.1,
    "schema": "https://schema.org/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "techx": TECHX_NS,
    "id": "dct:identifier",
    "kind": "techx:kind",
    "title": {"@id": "dct:title", "@container": "@language"},
    "summary": {"@id": "dct:abstract", "@container": "@language"},
    "description": {"@id": "dct:description", "@container": "@language"},
    "strategic_group": "techx:strategicTechnologyGroup",
    "st_field": "techx:scienceField",
    "ipc": {"@id": "techx:ipcClass", "@container": "@set"},
    "keywords": {"@id": "dcat:keyword", "@container": "@set"},
    "ip_numbers": {"@id": "techx:ipNumber", "@container": "@set"},
    "trl": {"@id": "techx:technologyReadinessLevel", "@type": "xsd:integer"},
    "ip_status": "techx:ipStatus",
    "transaction_types": {"@id": "techx:transactionType", "@container": "@set"},
    "price": "schema:priceSpecification",
    "amount": {"@id": "schema:price", "@type": "xsd:decimal"},
    "currency": "schema:priceCurrency",
    "negotiable": "techx:negotiable",
    "owner": "dct:publisher",
    "name": "schema:name",
    "name_en": "schema:alternateName",
    "province": "techx:province",
    "language": {"@id": "dct:language", "@container": "@set"},
    "status": "techx:status",
    "expires_at": {"@id": "schema:expires", "@type": "xsd:dateTime"},
    "source": "dct:source",
    "exchange": "techx:exchange",
    "source_id": "techx:sourceId",
    "url": {"@id": "schema:url", "@type": "@id"},
    "extensions": {"@id": "techx:extensions", "@type": "@json"},
    "version": {"@id": "schema:version", "@type": "xsd:integer"},
    "content_hash": "techx:contentHash",
    "created_at": {"@id": "dct:created", "@type": "xsd:dateTime"},
    "updated_at": {"@id": "dct:modified", "@type": "xsd:dateTime"},
}

_TYPES = {"offer": "schema:Offer", "request": "schema:Demand"}


def context_document() -> dict[str, Any]:
    return {"@context": CONTEXT}


def listing_schema(variant: str, *, schema_id: str) -> dict[str, Any]:
    """JSON Schema (2020-12) of the listing record (``record``) or of a new listing (``create``)."""
    if variant == "record":
        schema = ListingRead.model_json_schema(mode="serialization")
    else:
        schema = ListingCreate.model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id,
        "version": METADATA_VERSION,
        **schema,
        "title": f"TechX listing metadata v{METADATA_VERSION} ({variant})",
    }


def listing_jsonld(listing: ListingRead, *, url: str, owner_url: str) -> dict[str, Any]:
    """The listing as JSON-LD; the context is embedded so no fetch is needed to read it."""
    body = listing.model_dump(mode="json")
    owner = {"@id": owner_url, "@type": "schema:Organization", **body.pop("owner")}
    return {
        "@context": CONTEXT,
        "@id": url,
        "@type": [_TYPES[listing.kind], "dcat:Resource"],
        **body,
        "owner": owner,
    }
