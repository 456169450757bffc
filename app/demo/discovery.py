"""Demo profiles, saved searches and watches of the fund (``dung.pham``) and the enterprise
(``giang.vo``), saved through the real services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Initiative, User
from app.schemas.profile import ProfileWrite
from app.schemas.watchlist import SavedSearchCreate, WatchCreate
from app.services.discovery import profiles, watchlists

PROFILES = {
    "dung.pham@techx.local": (
        "fund",
        {
            "thesis": {
                "vi": "Quỹ đầu tư giai đoạn đầu cho công nghệ nông nghiệp, sinh học và năng lượng "
                "sạch phục vụ Đồng bằng sông Cửu Long: thích ứng xâm nhập mặn, xử lý nước, "
                "phụ phẩm nông nghiệp.",
                "en": "Early-stage fund for agritech, biotech and clean energy serving the Mekong "
                "Delta: salinity adaptation, water treatment, farm by-products.",
            },
            "strategic_groups": ["biotech", "energy", "ai"],
            "st_fields": ["4", "207"],
            "trl_min": 4,
            "trl_max": 8,
            "ticket_min": 500_000_000,
            "ticket_max": 10_000_000_000,
            "provinces": ["CT", "HCM", "AGG", "CMU"],
            "stages": ["published", "commercializing"],
            "transaction_types": ["investment", "joint_venture"],
            "keywords": ["xâm nhập mặn", "phân bón hữu cơ", "năng lượng mặt trời"],
        },
    ),
    "giang.vo@techx.local": (
        "enterprise",
        {
            "thesis": {
                "vi": "Doanh nghiệp công nghệ cần giải pháp AI thị giác máy tính và IoT cho nhà "
                "máy và chuỗi cung ứng lạnh.",
                "en": "Technology company looking for computer-vision AI and IoT for factories "
                "and cold chains.",
            },
            "strategic_groups": ["ai", "robotics", "semiconductors"],
            "st_fields": ["2"],
            "trl_min": 6,
            "provinces": ["HCM", "HN"],
            "stages": ["published", "commercializing", "commercialized"],
            "transaction_types": ["license_non_exclusive", "assignment"],
            "keywords": ["thị giác máy tính", "IoT", "chuỗi lạnh"],
        },
    ),
}


SEARCHES = {
    "dung.pham@techx.local": {
        "name": "Sáng kiến sinh học và năng lượng, TRL 4+ / Biotech and energy, TRL 4+",
        "target": "initiatives",
        "query": {"strategic_group": ["biotech", "energy", "ai"], "trl_min": 4},
    },
    "giang.vo@techx.local": {
        "name": "Chào bán thị giác máy tính / Computer-vision offers",
        "target": "listings",
        "query": {"q": "thị giác máy tính", "kind": ["offer"]},
    },
}
# The demo initiatives each user watches, by workflow state.
WATCHED = {
    "dung.pham@techx.local": ("published", "commercializing"),
    "giang.vo@techx.local": ("commercialized",),
}


async def _user(session: AsyncSession, email: str) -> User | None:
    user: User | None = await session.scalar(
        select(User).where(User.email == email).options(selectinload(User.role_rows))
    )
    return user


async def seed(session: AsyncSession) -> None:
    """The two demo profiles, a saved search each, and watches on public demo initiatives."""
    for email, (kind, data) in PROFILES.items():
        user = await _user(session, email)
        if user is None:
            continue
        await profiles.put(session, user, ProfileWrite.model_validate(data), kind=kind)
        await watchlists.create_search(
            session, user, SavedSearchCreate.model_validate(SEARCHES[email])
        )
        for state in WATCHED[email]:
            initiative = await session.scalar(select(Initiative).where(Initiative.state == state))
            if initiative is not None:
                watch = WatchCreate(subject_type="initiative", subject_id=initiative.id)
                await watchlists.create_watch(session, user, watch)
