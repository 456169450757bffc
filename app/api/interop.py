"""Interoperability (public): OAI-PMH 2.0 at ``/oai`` and the DCAT catalogue of listings."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import ContextDep, SessionDep
from app.core.errors import problem_responses
from app.core.pagination import CursorQuery, LimitQuery
from app.core.routing import OPEN_QUERY, TechxRoute
from app.schemas.listing import METADATA_VERSION
from app.services.federation import dcat, oai
from app.services.reports import opendata

router = APIRouter(tags=["interoperability"], route_class=TechxRoute)

XML = "text/xml; charset=utf-8"
LD_JSON = "application/ld+json"
FORM = "application/x-www-form-urlencoded"
REPOSITORY_NAME = "TechX Science & Technology Exchange"

OAI_DESCRIPTION = """
OAI-PMH 2.0 (https://www.openarchives.org/OAI/openarchivesprotocol.html) over the published
listings: verbs `Identify`, `ListMetadataFormats`, `ListSets`, `ListIdentifiers`,
`ListRecords`, `GetRecord`; metadata format `oai_dc`; sets `kind:<offer|request>` and
`group:<strategic group>`; resumption tokens; withdrawn and deleted listings as deleted records.

Errors follow the protocol, not problem+json: the answer is HTTP 200 with an
`<error code="...">` element (`badArgument`, `badResumptionToken`, `badVerb`,
`cannotDisseminateFormat`, `idDoesNotExist`, `noRecordsMatch`; `noMetadataFormats` and
`noSetHierarchy` never arise: every item, deleted ones included, has `oai_dc`, and sets exist).
"""

OAI_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {}}, "description": "An OAI-PMH response (or error) document"}
}


def _repository(request: Request, ctx: ContextDep) -> oai.Repository:
    sync = ctx.settings.sync
    return oai.Repository(
        name=REPOSITORY_NAME,
        base_url=str(request.url_for("oai")),
        listing_url=str(request.base_url) + "api/v1/listings/",
        repository_id=sync.oai_repository_id or request.url.hostname or "localhost",
        admin_email=sync.oai_admin_email,
        page_size=sync.oai_page_size,
        deleted_record="persistent" if sync.tombstone_retention_days is None else "transient",
    )


@router.get(
    "/oai",
    name="oai",
    operation_id="oai_pmh",
    openapi_extra={OPEN_QUERY: True},
    response_class=Response,
    responses=OAI_RESPONSES,
    description=OAI_DESCRIPTION,
)
async def oai_get(request: Request, session: SessionDep, ctx: ContextDep) -> Response:
    """OAI-PMH 2.0 request (arguments in the query string)."""
    pairs = list(request.query_params.multi_items())
    document = await oai.respond(session, _repository(request, ctx), pairs)
    return Response(document, media_type=XML)


@router.post(
    "/oai",
    operation_id="oai_pmh_post",
    response_class=Response,
    responses=OAI_RESPONSES,
    description=OAI_DESCRIPTION,
)
async def oai_post(request: Request, session: SessionDep, ctx: ContextDep) -> Response:
    """OAI-PMH 2.0 request (arguments form-encoded in the body)."""
    pairs: list[tuple[str, str]] = []
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM:
        body = (await request.body()).decode("utf-8", errors="replace")
        pairs = parse_qsl(body, keep_blank_values=True)
    document = await oai.respond(session, _repository(request, ctx), pairs)
    return Response(document, media_type=XML)


@router.get(
    "/api/v1/catalogue",
    operation_id="dcat_catalogue",
    response_class=JSONResponse,
    responses={
        200: {"content": {LD_JSON: {}}, "description": "A dcat:Catalog page (JSON-LD)"},
        **problem_responses(400, 422),
    },
)
async def catalogue(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> Any:
    """DCAT-AP catalogue of the published listings as JSON-LD; `hydra:next` links the next
    page (follow it until absent). The first page also lists the open datasets
    (`/api/v1/open-data`), each with a JSON and a CSV distribution."""
    base = str(request.base_url)
    urls = dcat.CatalogueUrls(
        catalogue=str(request.url_for("catalogue")),
        page=str(request.url),
        listing=f"{base}api/v1/listings/",
        standard=f"{base}api/v1/schemas/listing?variant=record&version={METADATA_VERSION}",
        publisher=REPOSITORY_NAME,
    )
    extra: list[dict[str, Any]] = []
    if cursor is None:
        month = opendata.default_period(utc_offset_hours=ctx.settings.ip.utc_offset_hours)
        public = await opendata.report(session, month)
        extra = opendata.dcat_entries(public, base_url=base, publisher=REPOSITORY_NAME)
    document = await dcat.catalogue(session, urls=urls, cursor=cursor, limit=limit, extra=extra)
    return JSONResponse(document, media_type=LD_JSON)
