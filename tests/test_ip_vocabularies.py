"""The IP vocabularies and the rule table are served like every other vocabulary."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    "name", ["ip_rules_vn", "ip_summary_statuses", "ip_offices", "ip_types", "st27_categories"]
)
async def test_ip_vocabulary_is_served(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/api/v1/vocabularies/{name}")
    assert response.status_code == 200, response.text
    terms = response.json()["terms"]
    assert terms and all(term["label"]["vi"] and term["label"]["en"] for term in terms)
