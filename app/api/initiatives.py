"""Initiatives: drafting, listing and search, submission with a signed receipt, the workflow and
its public timeline, frozen versions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from app.api.audit import AuditedRead
from app.api.deps import (
    ContextDep,
    CurrentUser,
    Idempotent,
    OptionalPrincipalDep,
    PrincipalDep,
    SearchLimit,
    SessionDep,
    require_role,
)
from app.core.errors import problem_responses
from app.core.etag import check_if_match, etag_for
from app.core.pagination import CursorQuery, LimitQuery, Page
from app.core.routing import TechxRoute
from app.models import User
from app.schemas.initiative import (
    InitiativeClass,
    InitiativeCreate,
    InitiativeRead,
    InitiativeSort,
    InitiativeState,
    InitiativeSummary,
    InitiativeUpdate,
)
from app.schemas.matching import InitiativeMatches
from app.schemas.receipt import Receipt, VersionRead, VersionSummary
from app.schemas.revision import InitiativeRevision
from app.schemas.vocabulary import (
    IpStatusCode,
    ProvinceVocabCode,
    StFieldCode,
    StrategicGroupCode,
    Trl,
)
from app.schemas.workflow import Timeline, TimelineEntry, TransitionRequest
from app.services.discovery import initiative_matching, projection
from app.services.initiatives import records as initiatives
from app.services.initiatives import revisions, workflow
from app.services.initiatives import search as initiative_search
from app.services.initiatives.search import Filters

router = APIRouter(prefix="/api/v1/initiatives", tags=["initiatives"], route_class=TechxRoute)
ScientistUser = Annotated[User, require_role("scientist")]
IfMatch = Annotated[str | None, Header(alias="If-Match")]


@router.post(
    "",
    operation_id="initiatives_create",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 415, 422),
)
async def create_initiative(
    body: InitiativeCreate,
    session: SessionDep,
    user: ScientistUser,
    principal: PrincipalDep,
    response: Response,
) -> InitiativeRead:
    """Register a draft; you are its owner."""
    initiative = await initiatives.create(session, body, by=user)
    response.headers["Location"] = f"{router.prefix}/{initiative.id}"
    response.headers["ETag"] = etag_for(initiative.version)
    visible = initiatives.Visible(initiative, "owner")
    return await initiatives.present(session, visible, principal=principal, log_read=False)


@router.get(
    "",
    operation_id="initiatives_list",
    dependencies=[SearchLimit],
    responses=problem_responses(400, 401, 422, 429),
)
async def list_initiatives(
    session: SessionDep,
    principal: OptionalPrincipalDep,
    q: Annotated[str | None, Query(max_length=200, description="Words to find")] = None,
    mine: Annotated[bool, Query(description="Only your own initiatives, any state")] = False,
    state: Annotated[list[InitiativeState], Query(max_length=11)] = [],  # noqa: B006
    strategic_group: Annotated[list[StrategicGroupCode], Query(max_length=11)] = [],  # noqa: B006
    st_field: Annotated[
        list[StFieldCode], Query(max_length=40, description="A level-1 code includes its fields")
    ] = [],  # noqa: B006
    province: Annotated[list[ProvinceVocabCode], Query(max_length=40)] = [],  # noqa: B006
    initiative_class: InitiativeClass | None = None,
    trl_min: Trl | None = None,
    trl_max: Trl | None = None,
    ip_status: Annotated[
        list[IpStatusCode], Query(max_length=8, description="Protection status of linked rights")
    ] = [],  # noqa: B006
    sort: Annotated[
        InitiativeSort, Query(description="Order: a field, `-` first for descending")
    ] = "created_at",
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[InitiativeSummary]:
    """Published initiatives (public fields only); `q` matches whole words as listing search
    does (a word typed without diacritics finds every accented form, one typed with them finds
    those accents or none; synonyms apply). `mine=true` lists and searches your own in every
    state, administrators see every initiative. Repeat a filter to accept any of several
    values; unknown parameters answer 422."""
    filters = Filters(
        state=tuple(state),
        strategic_group=tuple(strategic_group),
        province=tuple(province),
        initiative_class=initiative_class,
        st_field=tuple(st_field),
        trl_min=trl_min,
        trl_max=trl_max,
        ip_status=tuple(ip_status),
    )
    rows, next_cursor = await initiative_search.list_page(
        session,
        principal=principal,
        mine=mine,
        q=q,
        filters=filters,
        cursor=cursor,
        limit=limit,
        sort=sort,
    )
    return Page(items=await initiatives.summaries(session, rows), next_cursor=next_cursor)


@router.get(
    "/{initiative_id}",
    operation_id="initiatives_get",
    dependencies=[AuditedRead],
    responses=problem_responses(401, 404, 422),
)
async def get_initiative(
    initiative_id: uuid.UUID,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    response: Response,
) -> InitiativeRead:
    """The full record if you may read confidential content (the read is logged for the
    authors), else its public fields; unseen initiatives answer 404."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal)
    response.headers["ETag"] = etag_for(visible.initiative.version)
    return await initiatives.present(session, visible, principal=principal)


@router.patch(
    "/{initiative_id}",
    operation_id="initiatives_update",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def update_initiative(
    initiative_id: uuid.UUID,
    body: InitiativeUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> InitiativeRead:
    """Change a draft or returned initiative; send `If-Match` with the ETag you read."""
    initiative = await initiatives.get_owned(session, initiative_id, principal=principal)
    check_if_match(if_match, initiative.version)
    await initiatives.update(session, initiative, body, by=user)
    response.headers["ETag"] = etag_for(initiative.version)
    visible = initiatives.Visible(initiative, "owner")
    return await initiatives.present(session, visible, principal=principal, log_read=False)


@router.post(
    "/{initiative_id}/submit",
    operation_id="initiatives_submit",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def submit_initiative(
    initiative_id: uuid.UUID,
    session: SessionDep,
    ctx: ContextDep,
    principal: PrincipalDep,
    response: Response,
) -> Receipt:
    """Freeze the content as a new version and return its signed, timestamped receipt."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal, lock=True)
    version = await workflow.submit(session, visible, principal=principal, keyring=ctx.keyring)
    response.headers["Location"] = f"{router.prefix}/{initiative_id}/versions/{version.number}"
    return Receipt.model_validate(version.receipt)


@router.post(
    "/{initiative_id}/transitions",
    operation_id="initiatives_transition",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def transition_initiative(
    initiative_id: uuid.UUID, body: TransitionRequest, session: SessionDep, principal: PrincipalDep
) -> TimelineEntry:
    """Move the initiative along the workflow: 409 when its state does not allow the step,
    403 when your role does not; rejecting, returning and withdrawing need a reason."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal, lock=True)
    step = await workflow.transition(
        session, visible, principal=principal, target=body.to, reason=body.reason
    )
    timeline = await workflow.timeline(session, initiative_id, principal=principal)
    return next(entry for entry in timeline.entries if entry.seq == step.seq)


@router.get(
    "/{initiative_id}/matches",
    operation_id="initiatives_matches",
    responses=problem_responses(401, 404, 422),
)
async def initiative_matches(
    initiative_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> InitiativeMatches:
    """Funds whose discoverable profiles want this initiative and open technology requests it
    answers, best first, each with the reasons behind its score (0-100): public text similarity
    (vi and en, diacritics folded), strategic group, field, TRL fit, province, and a fund's stage
    and ticket (the ticket itself is never shown). Initiatives you may not see answer 404."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal)
    user = principal.user if principal.kind == "user" else None
    found = await initiative_matching.for_initiative(
        session,
        visible.initiative,
        caller=user.id if user is not None else None,
        limit=limit,
        candidates=ctx.settings.discovery.max_candidates,
    )
    return projection.initiative_matches(found)


@router.get(
    "/{initiative_id}/timeline",
    operation_id="initiatives_timeline",
    responses=problem_responses(401, 404, 422),
)
async def get_timeline(
    initiative_id: uuid.UUID, session: SessionDep, principal: OptionalPrincipalDep
) -> Timeline:
    """Public once submitted: every stage, its dates, decisions and reasons, overdue flags."""
    return await workflow.timeline(session, initiative_id, principal=principal)


@router.get(
    "/{initiative_id}/versions",
    operation_id="initiatives_versions_list",
    responses=problem_responses(400, 401, 404, 422),
)
async def list_versions(
    initiative_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[VersionSummary]:
    """Every frozen version with its content hash, oldest first."""
    visible = await initiatives.get_readable(session, initiative_id, principal=principal)
    rows, next_cursor = await initiatives.list_versions(
        session, visible.initiative, cursor=cursor, limit=limit
    )
    items = [VersionSummary.model_validate(r) for r in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.post(
    "/{initiative_id}/versions",
    operation_id="initiatives_versions_publish",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def publish_version(
    initiative_id: uuid.UUID,
    body: InitiativeRevision,
    session: SessionDep,
    ctx: ContextDep,
    principal: PrincipalDep,
    response: Response,
) -> Receipt:
    """After publication, publish a new version of the public fields (TRL, summary, keywords,
    IPC, funding sought, results, newly linked IP records) with a reason: it gets its own signed
    receipt, a revision entry on the timeline and a place in the change history."""
    visible = await initiatives.get_visible(session, initiative_id, principal=principal, lock=True)
    version = await revisions.publish(
        session, visible, principal=principal, data=body, keyring=ctx.keyring
    )
    response.headers["Location"] = f"{router.prefix}/{initiative_id}/versions/{version.number}"
    return Receipt.model_validate(version.receipt)


@router.get(
    "/{initiative_id}/versions/{number}",
    operation_id="initiatives_versions_get",
    dependencies=[AuditedRead],
    responses=problem_responses(401, 404, 422),
)
async def get_version(
    initiative_id: uuid.UUID, number: int, session: SessionDep, principal: PrincipalDep
) -> VersionRead:
    """A frozen version's content and receipt (the read is logged for the authors)."""
    visible = await initiatives.get_readable(session, initiative_id, principal=principal)
    version = await initiatives.get_version(session, visible, number, principal=principal)
    return VersionRead.model_validate(version)
