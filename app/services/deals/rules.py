"""The deal funnel's rules: which side may move a deal from which stage to which.

interest → access_requested → meeting → term_sheet → contract → completed, and ``declined`` from
any open stage by either side. A move the table does not give the caller's side, from the deal's
stage, is illegal (409) — the wrong stage and the wrong side alike.
"""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound
from app.models.deal import (
    ACCESS_REQUESTED,
    COMPLETED,
    CONTRACT,
    DECLINED,
    INTEREST,
    MEETING,
    TERM_SHEET,
)

PARTY, OWNER = "party", "owner"
_PARTY, _OWNER, _EITHER = frozenset({PARTY}), frozenset({OWNER}), frozenset({PARTY, OWNER})

# stage → {target stage: sides that may make the move}
MOVES: dict[str, dict[str, frozenset[str]]] = {
    # The interested party asks for the confidential content (NDA) or writes to the owners.
    INTEREST: {ACCESS_REQUESTED: _PARTY, DECLINED: _EITHER},
    # The owner side agrees to meet (for an initiative, once it granted access).
    ACCESS_REQUESTED: {MEETING: _OWNER, DECLINED: _EITHER},
    # The interested party puts its offer on paper.
    MEETING: {TERM_SHEET: _PARTY, DECLINED: _EITHER},
    # The owner side accepts the terms and signs.
    TERM_SHEET: {CONTRACT: _OWNER, DECLINED: _EITHER},
    # Either side records that the contract was carried out.
    CONTRACT: {COMPLETED: _EITHER, DECLINED: _EITHER},
}

# Roles that express interest.
PARTY_ROLES = frozenset({"fund", "enterprise"})


class DealNotFound(NotFound):
    slug, title = "deal-not-found", "Deal not found"


class DealForbidden(Forbidden):
    slug, title = "deal-forbidden", "Only funds and enterprises express interest"


class DealSubjectNotOpen(Conflict):
    slug, title = "deal-subject-not-open", "Interest cannot be expressed in this now"


class OwnSubject(Conflict):
    slug, title = "deal-own-subject", "This is your own initiative or listing"


class DealExists(Conflict):
    slug, title = "deal-exists", "You already have an open deal on this"


class MoveNotAllowed(Conflict):
    slug, title = "deal-move-not-allowed", "The deal cannot make this move"


class AccessNotGranted(Conflict):
    slug, title = "deal-access-not-granted", "The owner has not granted access yet"


def allowed_moves(stage: str, side: str) -> list[str]:
    """The targets ``side`` may move a deal at ``stage`` to, in funnel order."""
    return [target for target, sides in MOVES.get(stage, {}).items() if side in sides]


def check_move(stage: str, target: str, side: str) -> None:
    """Raise 409 unless the table lets ``side`` move a deal from ``stage`` to ``target``."""
    sides = MOVES.get(stage, {}).get(target)
    if sides is None:
        raise MoveNotAllowed(f"A deal at {stage} cannot move to {target}")
    if side not in sides:
        who = " or ".join("the interested party" if s == PARTY else "the owner side" for s in sides)
        raise MoveNotAllowed(f"At {stage}, only {who} moves a deal to {target}")
