"""A populated deal funnel for the demo fund (dung.pham) and enterprise (giang.vo): deals at
several stages on demo initiatives and on two demo listings, one declined with a reason, made
through the real services so each has its history, linked requests, notices and audit entries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.demo.initiative_data import AN, FUND
from app.models import Initiative, User
from app.models.initiative import PUBLIC_STATES
from app.schemas.deal import DealCreate, DealMoveCreate
from app.schemas.listing import ListingCreate
from app.services.accounts.tokens import Principal
from app.services.deals import records as deals
from app.services.initiatives import access
from app.services.listings import records as listings

ENTERPRISE, BINH = "giang.vo@techx.local", "binh.tran@techx.local"
NDA = {"nda_version": str(access.terms()["version"]), "nda_accepted": True}
CONTACT = {"message": "Chúng tôi muốn tìm hiểu điều kiện chuyển giao / terms of transfer, please"}

LISTINGS = {
    AN: {
        "kind": "offer",
        "title": {
            "vi": "Bộ điều khiển tưới nhỏ giọt thông minh dùng cảm biến độ ẩm đất",
            "en": "Smart drip-irrigation controller with soil-moisture sensing",
        },
        "summary": {
            "vi": "Tiết kiệm 35 % nước tưới cho cà phê và hồ tiêu Tây Nguyên.",
            "en": "Saves 35 % of irrigation water for Central Highlands coffee and pepper.",
        },
        "strategic_group": "ai",
        "trl": 7,
        "ip_status": "filed",
        "transaction_types": ["license_non_exclusive", "technical_cooperation"],
        "price": {"amount": 800_000_000, "currency": "VND", "negotiable": True},
    },
    BINH: {
        "kind": "offer",
        "title": {
            "vi": "Quy trình sản xuất vật liệu cực dương pin natri-ion",
            "en": "Sodium-ion battery cathode production process",
        },
        "summary": {
            "vi": "Vật liệu Prussian white tổng hợp ở nhiệt độ phòng, mẻ 20 kg.",
            "en": "Room-temperature Prussian-white synthesis in 20 kg batches.",
        },
        "strategic_group": "energy",
        "trl": 5,
        "ip_status": "granted",
        "transaction_types": ["assignment", "research_cooperation"],
    },
}

# (party, subject: initiative English title or listing owner, [(mover, move), ...])
SCRIPT: list[tuple[str, str, list[tuple[str, dict[str, object]]]]] = [
    (
        FUND,
        "Blockchain farm-produce traceability",
        [
            (FUND, {"to": "access_requested", **NDA}),
            (AN, {"to": "meeting"}),
            (FUND, {"to": "term_sheet", "note": "Đầu tư 6 tỷ đồng / VND 6 billion for 20 %"}),
        ],
    ),
    (
        FUND,
        "Recombinant white-spot shrimp vaccine",
        [(FUND, {"to": "declined", "reason": "not_strategic_fit"})],
    ),
    (FUND, BINH, []),
    (
        ENTERPRISE,
        AN,
        [
            (ENTERPRISE, {"to": "access_requested", **CONTACT}),
            (AN, {"to": "meeting"}),
            (ENTERPRISE, {"to": "term_sheet"}),
            (AN, {"to": "contract", "note": "Li-xăng không độc quyền 3 năm / 3-year licence"}),
        ],
    ),
    (
        ENTERPRISE,
        "Landslide early-warning system",
        [(ENTERPRISE, {"to": "access_requested", **NDA})],
    ),
    (
        ENTERPRISE,
        BINH,
        [
            (ENTERPRISE, {"to": "access_requested", **CONTACT}),
            (
                BINH,
                {
                    "to": "declined",
                    "reason": "other",
                    "note": "Đã chuyển giao độc quyền cho đối tác khác / "
                    "an exclusive licence went to another partner",
                },
            ),
        ],
    ),
]


def _principal(user: User) -> Principal:
    return Principal(
        kind="user",
        subject=str(user.id),
        scopes=frozenset(),
        grant="password",
        user=user,
        roles=frozenset(user.roles),
    )


async def _subjects(session: AsyncSession, users: dict[str, Principal]) -> dict[str, DealCreate]:
    """Each subject of the script, by initiative title or listing owner."""
    rows = await session.scalars(select(Initiative).where(Initiative.state.in_(PUBLIC_STATES)))
    found = {
        row.title["en"]: DealCreate(subject_kind="initiative", subject_id=row.id) for row in rows
    }
    for owner, body in LISTINGS.items():
        principal = users[owner]
        assert principal.user is not None
        listing = await listings.create(
            session,
            ListingCreate.model_validate(body),
            by=principal.user,
            viewer=listings.viewer_of(principal),
        )
        found[owner] = DealCreate(subject_kind="listing", subject_id=listing.id)
    return found


async def seed(session: AsyncSession) -> None:
    """Create the demo listings and walk the deals of the script; the demo users must exist."""
    rows = await session.scalars(select(User).options(selectinload(User.role_rows)))
    users = {user.email: _principal(user) for user in rows}
    subjects = await _subjects(session, users)
    for party, subject, moves in SCRIPT:
        data = subjects[subject].model_copy(
            update={"message": "Quan tâm hợp tác / interested in working together"}
        )
        deal = await deals.create(session, data, principal=users[party])
        for mover, body in moves:
            user = users[mover].user
            assert user is not None
            side = deals.side_of(deal, user)
            assert side is not None
            move = DealMoveCreate.model_validate(body)
            await deals.move(session, deal, side, move, principal=users[mover])
