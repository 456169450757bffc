"""Demo IP records for the demo scientists: at least one in every summary status.

Dates are relative to the day of seeding, so that each record shows its status on that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.models import User
from app.schemas.ip_record import Holder, IpEventCreate, IpRecordCreate
from app.services.ip import events as ip_events
from app.services.ip import records as ip_records
from app.services.ip.domain import shift
from app.services.ip.records import Actor

# (months, days) before the seeding day.
Ago = tuple[int, int]


@dataclass(frozen=True)
class DemoRecord:
    owner: str
    status: str
    ip_type: str
    number: str
    title: str
    filed: Ago
    events: tuple[tuple[str, Ago], ...] = ()


AN, BINH, HOA = "an.nguyen@techx.local", "binh.tran@techx.local", "hoa.dang@techx.local"
HOLDERS = {
    AN: "Viện Hàn lâm Khoa học và Công nghệ Việt Nam",
    BINH: "Đại học Bách khoa Hà Nội",
    HOA: "Viện Hàn lâm Khoa học và Công nghệ Việt Nam",
}

RECORDS = (
    DemoRecord(
        AN,
        "pending",
        "invention_patent",
        "1-DEMO-00001",
        "Phương pháp sản xuất vật liệu nano silica từ vỏ trấu",
        (0, 10),
    ),
    DemoRecord(
        AN,
        "published",
        "invention_patent",
        "1-DEMO-00002",
        "Hệ thống cảnh báo sớm sạt lở đất dùng cảm biến IoT",
        (20, 0),
        (("D11", (19, 0)), ("Q10", (2, 0))),
    ),
    DemoRecord(
        BINH,
        "under_examination",
        "utility_solution",
        "2-DEMO-00003",
        "Thiết bị lọc nước nhiễm mặn quy mô hộ gia đình",
        (30, 0),
        (("D11", (29, 10)), ("D10", (24, 0)), ("Q10", (14, 0))),
    ),
    DemoRecord(
        BINH,
        "granted",
        "trademark",
        "4-DEMO-00004",
        "Nhãn hiệu SAO MAI AGRI",
        (15, 0),
        (("D11", (14, 10)), ("Q10", (12, 0)), ("F10", (3, 0))),
    ),
    DemoRecord(
        AN,
        "in_force",
        "invention_patent",
        "1-DEMO-00005",
        "Chế phẩm vi sinh xử lý phụ phẩm nông nghiệp",
        (60, 0),
        (
            ("D11", (59, 0)),
            ("Q10", (44, 0)),
            ("D10", (50, 0)),
            ("F10", (26, 0)),
            ("U10", (15, 0)),
            ("U10", (3, 0)),
        ),
    ),
    DemoRecord(
        HOA,
        "lapsed_restorable",
        "utility_solution",
        "2-DEMO-00006",
        "Bộ điều khiển tưới nhỏ giọt tiết kiệm năng lượng",
        (40, 0),
        (("D11", (39, 0)), ("Q10", (30, 0)), ("D10", (30, 0)), ("F10", (14, 0))),
    ),
    DemoRecord(
        AN,
        "lapsed",
        "invention_patent",
        "1-DEMO-00007",
        "Quy trình tách chiết tinh dầu tràm bằng vi sóng",
        (70, 0),
        (("D11", (69, 0)), ("Q10", (52, 0)), ("D10", (60, 0)), ("F10", (24, 0))),
    ),
    DemoRecord(
        BINH,
        "expired",
        "trademark",
        "4-DEMO-00008",
        "Nhãn hiệu MEKONG SEAFOOD",
        (128, 0),
        (("D11", (127, 0)), ("Q10", (125, 0)), ("F10", (108, 0))),
    ),
    DemoRecord(
        HOA,
        "withdrawn",
        "invention_patent",
        "1-DEMO-00009",
        "Pin nhiên liệu vi sinh vật từ nước thải",
        (36, 0),
        (("D11", (35, 0)), ("N10", (12, 0))),
    ),
    DemoRecord(
        AN,
        "refused",
        "trademark",
        "4-DEMO-00010",
        "Nhãn hiệu VIETNANO",
        (24, 0),
        (("D11", (23, 0)), ("Q10", (21, 0)), ("N11", (3, 0))),
    ),
    DemoRecord(
        BINH,
        "revoked",
        "industrial_design",
        "3-DEMO-00011",
        "Kiểu dáng đèn LED chiếu sáng nhà kính",
        (36, 0),
        (("D11", (35, 0)), ("Q10", (33, 0)), ("F10", (24, 0)), ("N12", (1, 0))),
    ),
)


def _ago(today: date, ago: Ago) -> date:
    return shift(today, months=-ago[0], days=-ago[1])


async def seed(session: AsyncSession, *, today: date | None = None) -> int:
    """Create the demo records for the demo scientists; the number created."""
    when = ip_records.as_of(get_settings(), today)
    owners = dict((await session.execute(select(User.email, User.id))).tuples().all())
    created = 0
    for demo in RECORDS:
        if demo.owner not in owners:
            continue
        actor = Actor(user_id=owners[demo.owner])
        data = IpRecordCreate(
            ip_type=demo.ip_type,
            office="VN",
            title=demo.title,
            application_number=demo.number,
            filing_date=_ago(when.today, demo.filed),
            holders=[Holder(name=HOLDERS[demo.owner], country="VN")],
        )
        record = await ip_records.create(session, data, actor=actor, when=when)
        for key_event, ago in demo.events:
            event = IpEventCreate.model_validate(
                {
                    "category": key_event[0],
                    "key_event": key_event,
                    "event_date": _ago(when.today, ago),
                    "source": "demo",
                }
            )
            await ip_events.add_event(session, record, event, by=None, source="demo", when=when)
        created += 1
    return created
