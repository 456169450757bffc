"""The listing metadata standard, published: JSON Schema and JSON-LD context (public)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.schemas.listing import METADATA_VERSION
from app.services.listings import standard

router = APIRouter(prefix="/api/v1", tags=["standard"], route_class=TechxRoute)

SCHEMA_JSON = "application/schema+json"
LD_JSON = "application/ld+json"


@router.get(
    "/schemas/listing",
    operation_id="standard_listing_schema",
    response_class=JSONResponse,
    responses={
        200: {"content": {SCHEMA_JSON: {}}, "description": "JSON Schema 2020-12"},
        **problem_responses(422),
    },
)
async def listing_schema(
    request: Request,
    variant: Annotated[
        Literal["record", "create"],
        Query(description="`record`: a listing as served; `create`: the body of a new listing"),
    ] = "record",
) -> Any:
    """JSON Schema of listing metadata v1, generated from the API's own models."""
    schema_id = f"{request.url_for('listing_schema')}?variant={variant}&version={METADATA_VERSION}"
    document = standard.listing_schema(variant, schema_id=schema_id)
    return JSONResponse(document, media_type=SCHEMA_JSON)


@router.get(
    "/contexts/listing.jsonld",
    operation_id="standard_listing_context",
    response_class=JSONResponse,
    responses={
        200: {"content": {LD_JSON: {}}, "description": "JSON-LD 1.1 context"},
        **problem_responses(500),
    },
)
async def listing_context() -> Any:
    """JSON-LD context mapping listing fields to schema.org, DCAT and Dublin Core terms."""
    return JSONResponse(standard.context_document(), media_type=LD_JSON)
