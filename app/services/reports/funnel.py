"""Deal-funnel figures: the deals opened in the period, how far they got and why some declined.

Counts come from the deals service's ``funnel.counts`` (the period's cohort of deals, read from
their moves before the period's end, so a closed period keeps its figures).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.deal import DECLINED, FUNNEL
from app.services.deals import funnel as deal_funnel
from app.services.deals.funnel import FunnelCounts
from app.services.reports.periods import Period
from app.services.reports.table import Counts, Table, vocabulary_label

FUNNEL_MEASURES = {
    "reached": {"vi": "Đã đạt giai đoạn", "en": "Reached"},
    "at_stage": {"vi": "Đang ở giai đoạn cuối kỳ", "en": "At the stage at period end"},
    "conversion": {"vi": "Tỷ lệ sang giai đoạn sau", "en": "Conversion to the next stage"},
}
DECLINE_MEASURES = {"declined": {"vi": "Số giao dịch từ chối", "en": "Deals declined"}}


def _stages(counts: FunnelCounts) -> Counts:
    conversion = {key.split("->")[0]: value for key, value in counts.conversion.items()}
    out: Counts = {
        stage: {
            "reached": counts.reached.get(stage, 0),
            "at_stage": counts.at_stage.get(stage, 0),
            "conversion": conversion.get(stage),
        }
        for stage in FUNNEL
    }
    out[DECLINED] = {"reached": counts.declined, "at_stage": counts.at_stage.get(DECLINED, 0)}
    return out


def _reasons(counts: FunnelCounts) -> Counts:
    return {reason or "unknown": {"declined": n} for reason, n in counts.decline_reasons.items()}


async def tables(session: AsyncSession, period: Period) -> list[Table]:
    previous = period.previous()
    now = await deal_funnel.counts(session, period.start, period.end)
    before = await deal_funnel.counts(session, previous.start, previous.end)
    funnel = Table(
        "deal_funnel",
        {"vi": "Phễu giao dịch", "en": "Deal funnel"},
        "deal_stage",
        FUNNEL_MEASURES,
        label=vocabulary_label("deal_stages"),
        current=_stages(now),
        previous=_stages(before),
        order=[*FUNNEL, DECLINED],
    )
    reasons = Table(
        "decline_reasons",
        {"vi": "Lý do từ chối", "en": "Decline reasons"},
        "reason",
        DECLINE_MEASURES,
        label=vocabulary_label("deal_decline_reasons"),
        public=False,
        current=_reasons(now),
        previous=_reasons(before),
    )
    return [funnel, reasons]
