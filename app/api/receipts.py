"""Submission receipts: anyone holding one can check it."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ContextDep, SessionDep
from app.core.errors import problem_responses
from app.core.routing import TechxRoute
from app.schemas.receipt import Receipt, ReceiptVerification
from app.services.initiatives import receipts

router = APIRouter(prefix="/api/v1/receipts", tags=["receipts"], route_class=TechxRoute)


@router.post("/verify", operation_id="receipts_verify", responses=problem_responses(415, 422))
async def verify_receipt(
    body: Receipt, session: SessionDep, ctx: ContextDep
) -> ReceiptVerification:
    """Whether a receipt was signed by this service (retired keys included) and matches the
    version stored under it. A well-formed receipt answers 200 either way."""
    return await receipts.verify(session, body, keyring=ctx.keyring)
