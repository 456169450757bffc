"""Discovery and deal-funnel figures.

The deal pipeline is not part of this service yet, so both tables keep their structure with no
rows; they fill once deals are recorded.
"""

from __future__ import annotations

from app.services.reports.table import Table

FUNNEL_MEASURES = {
    "entered": {"vi": "Vào giai đoạn", "en": "Entered"},
    "conversion": {"vi": "Tỷ lệ chuyển đổi", "en": "Conversion"},
}
DECLINE_MEASURES = {"declined": {"vi": "Số lần từ chối", "en": "Declined"}}


def tables() -> list[Table]:
    funnel = Table(
        "deal_funnel",
        {"vi": "Phễu giao dịch", "en": "Deal funnel"},
        "deal_stage",
        FUNNEL_MEASURES,
    )
    reasons = Table(
        "decline_reasons",
        {"vi": "Lý do từ chối", "en": "Decline reasons"},
        "reason",
        DECLINE_MEASURES,
        public=False,
    )
    return [funnel, reasons]
