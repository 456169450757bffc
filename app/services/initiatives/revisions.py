"""Life after publication: the owner publishes a new version of the public fields (TRL progress,
new IP records, results) with a reason. Each new version is frozen with its own signed receipt,
appears on the public timeline as a revision and in the change history with the fields it
changed. The confidential fields stay as submitted.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Unprocessable
from app.models import InitiativeVersion, IpRecord
from app.models.base import utcnow
from app.models.initiative import PUBLIC_STATES, REVISION
from app.schemas.revision import InitiativeRevision
from app.services.accounts.keys import KeyRing
from app.services.accounts.tokens import Principal
from app.services.initiatives import receipts, workflow
from app.services.initiatives import records as initiatives
from app.services.initiatives.access import principal_user
from app.services.initiatives.records import Visible


class InitiativeNotRevisable(Conflict):
    slug, title = "initiative-not-revisable", "Only a published initiative takes a new version"


class RevisionEmpty(Unprocessable):
    slug, title = "revision-empty", "The new version changes nothing"


class IpRecordNotYours(Unprocessable):
    slug, title = "revision-ip-record-unknown", "An IP record named is not yours"


async def _link_records(
    session: AsyncSession, visible: Visible, record_ids: list[uuid.UUID]
) -> list[str]:
    """Link the owner's records to the initiative; the ids newly linked."""
    initiative = visible.initiative
    linked = []
    for index, record_id in enumerate(dict.fromkeys(record_ids)):
        record = await session.get(IpRecord, record_id)
        if record is None or record.owner_id != initiative.owner_id:
            error = {"loc": ["body", "ip_record_ids", index], "msg": "not yours", "type": "unknown"}
            raise IpRecordNotYours(f"No IP record {record_id} of yours", extra={"errors": [error]})
        if record.initiative_id != initiative.id:
            record.initiative_id = initiative.id
            linked.append(str(record.id))
    return linked


async def publish(
    session: AsyncSession,
    visible: Visible,
    *,
    principal: Principal,
    data: InitiativeRevision,
    keyring: KeyRing,
) -> InitiativeVersion:
    """Freeze a new version of a published initiative's public fields and sign its receipt."""
    initiative = visible.initiative
    if initiative.state not in PUBLIC_STATES:
        raise InitiativeNotRevisable(
            f"A {initiative.state} initiative changes through the workflow, not by a new version"
        )
    if visible.basis != "owner":
        raise initiatives.InitiativeEditForbidden("Only the owner publishes a new version")
    owner = principal_user(principal)
    assert owner is not None
    before = receipts.content_of(initiative, [], ip_records=[])
    changes = data.model_dump(mode="json", exclude_unset=True, exclude={"reason", "ip_record_ids"})
    initiatives.apply(initiative, changes)
    after = receipts.content_of(initiative, [], ip_records=[])
    changed = sorted(name for name in changes if before.get(name) != after.get(name))
    if await _link_records(session, visible, data.ip_record_ids):
        changed = sorted([*changed, "ip_records"])
    if not changed:
        raise RevisionEmpty("Every field sent already has that value")
    initiatives.refresh_search_text(initiative)
    now = utcnow()
    version = await receipts.freeze(
        session,
        initiative,
        attachments=await initiatives.attachments_of(session, initiative.id),
        by=owner,
        keyring=keyring,
        at=now,
        kind=REVISION,
        reason=data.reason,
        changed=changed,
    )
    await workflow.record_revision(
        session, initiative, actor=owner, reason=data.reason, version=version.number, at=now
    )
    return version
