"""Demo data for a development instance: organisations, a user of every role, an exchange client.

The passwords are fixed so that ``make run`` can print them every time; ``techx demo`` refuses to
run in production.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Passwords
from app.demo import deals, discovery, initiatives, ip
from app.models import Exchange, ExchangeClient, Organisation, User, UserRole

ORGANISATIONS = [
    (
        "vast",
        "Viện Hàn lâm Khoa học và Công nghệ Việt Nam",
        "Vietnam Academy of Science and Technology",
        "institute",
        "HN",
    ),
    (
        "hust",
        "Đại học Bách khoa Hà Nội",
        "Hanoi University of Science and Technology",
        "university",
        "HN",
    ),
    ("saomai", "Công ty Cổ phần Công nghệ Sao Mai", "Sao Mai Technology JSC", "enterprise", "HCM"),
    ("mekong", "Quỹ Đổi mới sáng tạo Mê Kông", "Mekong Innovation Fund", "fund", "CT"),
    (
        "hnex",
        "Sàn giao dịch công nghệ Hà Nội",
        "Hanoi Technology Exchange",
        "exchange_operator",
        "HN",
    ),
]

USERS = [
    ("admin@techx.local", "Demo-Admin-2026", "Quản trị viên TechX", ["admin"], None),
    ("an.nguyen@techx.local", "Demo-Scientist-2026", "Nguyễn Văn An", ["scientist"], "vast"),
    ("binh.tran@techx.local", "Demo-Scientist-2026", "Trần Thị Bình", ["scientist"], "hust"),
    ("cuong.le@techx.local", "Demo-Reviewer-2026", "Lê Quốc Cường", ["reviewer"], "hust"),
    ("dung.pham@techx.local", "Demo-Fund-2026", "Phạm Minh Dũng", ["fund"], "mekong"),
    ("giang.vo@techx.local", "Demo-Enterprise-2026", "Võ Thu Giang", ["enterprise"], "saomai"),
    ("hoa.dang@techx.local", "Demo-Multi-2026", "Đặng Thị Hoa", ["scientist", "reviewer"], "vast"),
]

EXCHANGE_CLIENT = (
    "hn-demo",
    "Sàn giao dịch công nghệ Hà Nội (demo)",
    "HN",
    "Demo-Exchange-HN-2026",
)


async def seed(session: AsyncSession, *, passwords: Passwords) -> bool:
    """Insert the demo rows unless they exist; ``True`` when something was added."""
    if await session.scalar(select(User.id).where(User.email == USERS[0][0])) is not None:
        return False
    orgs: dict[str, Organisation] = {}
    for key, name, name_en, kind, province in ORGANISATIONS:
        orgs[key] = Organisation(name=name, name_en=name_en, kind=kind, province=province)
        session.add(orgs[key])
    await session.flush()
    hashes: dict[str, str] = {}
    for email, password, full_name, roles, org in USERS:
        hashes.setdefault(password, passwords.hash(password))
        session.add(
            User(
                email=email,
                password_hash=hashes[password],
                full_name=full_name,
                organisation_id=orgs[org].id if org else None,
                role_rows=[UserRole(role=r) for r in roles],
            )
        )
    client_id, name, code, secret = EXCHANGE_CLIENT
    session.add(
        ExchangeClient(
            client_id=client_id,
            name=name,
            exchange_code=code,
            scopes=["sync:push", "sync:read"],
            secret_hash=passwords.hash(secret),
        )
    )
    # Registered in push mode, so the demo client can push to /api/v1/sync/push at once.
    session.add(Exchange(code=code, name=name, province="HN", mode="push"))
    await session.flush()
    await initiatives.seed(session)
    await ip.seed(session)
    await deals.seed(session)
    await discovery.seed(session)
    return True


def credentials_table() -> str:
    lines = ["", "Demo accounts (development only):", f"  {'e-mail':<28} {'password':<22} roles"]
    lines += [f"  {e:<28} {p:<22} {', '.join(r)}" for e, p, _, r, _ in USERS]
    client_id, _, code, secret = EXCHANGE_CLIENT
    lines += [
        "",
        f"Exchange client for {code}: client_id={client_id} client_secret={secret}",
        "",
        "Get a token:",
        "  curl -s -X POST http://127.0.0.1:8000/api/v1/auth/token "
        f"-d grant_type=password -d username={USERS[1][0]} -d password={USERS[1][1]}",
    ]
    return "\n".join(lines)
