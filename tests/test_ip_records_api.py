"""IP records over HTTP: ownership, events, derived status and deadlines."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.factories import login
from tests.ip_helpers import create_via_api, number, post_event

BASE = "/api/v1/ip-records"


async def test_scientist_creates_a_record_that_starts_pending(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    user, headers = await login(client, session, ctx, roles=["scientist"])
    response = await client.post(
        BASE,
        json={
            "ip_type": "invention_patent",
            "office": "VN",
            "title": "Phương pháp xử lý nước thải",
            "application_number": "  1-2024-0 1234 ",
            "filing_date": "2024-03-15",
            "holders": [{"name": "Viện Hóa học", "country": "VN"}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["owner_id"] == str(user.id)
    assert (body["summary_status"], body["jurisdiction"]) == ("pending", "VN")
    assert body["application_number"] == "1-2024-0 1234"
    assert response.headers["location"] == f"{BASE}/{body['id']}"
    fetched = await client.get(f"{BASE}/{body['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == response.headers["etag"]


async def test_foreign_record_is_404_to_another_scientist(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, owner_headers = await login(client, session, ctx, roles=["scientist"])
    _, stranger = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, owner_headers)
    url = f"{BASE}/{record['id']}"
    for method, path in [
        ("GET", url),
        ("GET", f"{url}/events"),
        ("GET", f"{url}/deadlines"),
        ("GET", f"{url}/clock"),
        ("DELETE", url),
    ]:
        response = await client.request(method, path, headers=stranger)
        assert response.status_code == 404, (method, path)
        assert response.json()["type"] == "/problems/ip-record-not-found"
    patch = await client.patch(url, json={"title": "x"}, headers={**stranger, "If-Match": "*"})
    assert patch.status_code == 404
    event = await post_event(client, stranger, record["id"], "F10", "2025-06-01")
    assert event.status_code == 404
    assert (await client.get(url, headers=owner_headers)).json()["summary_status"] == "pending"


async def test_list_shows_only_own_records_and_an_admin_sees_all(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, alice = await login(client, session, ctx, roles=["scientist"])
    _, bob = await login(client, session, ctx, roles=["scientist"])
    _, admin = await login(client, session, ctx, roles=["admin"])
    mine = await create_via_api(client, alice)
    theirs = await create_via_api(client, bob)
    listed = await client.get(BASE, headers=alice)
    assert [r["id"] for r in listed.json()["items"]] == [mine["id"]]
    everyone = {r["id"] for r in (await client.get(BASE, headers=admin)).json()["items"]}
    assert {mine["id"], theirs["id"]} <= everyone
    assert (await client.get(f"{BASE}/{theirs['id']}", headers=admin)).status_code == 200


async def test_patent_with_no_events_shows_the_rule_table_deadlines(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers, filing_date="2024-03-15")
    response = await client.get(
        f"{BASE}/{record['id']}/deadlines", params={"as_of": "2024-03-20"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    dues = {d["key"]: d for d in body["deadlines"]}
    assert dues["formality_examination"]["due_date"] == "2024-04-15"
    assert dues["formality_examination"]["actor"] == "office"
    assert dues["publication"]["due_date"] == "2025-10-15"
    assert dues["examination_request"]["due_date"] == "2027-09-15"
    assert "Art. 119" in dues["formality_examination"]["legal_basis"]["en"]
    assert body["rules"]["name"] == "ip_rules_vn"


async def test_grant_event_moves_the_record_to_granted_with_an_annuity_schedule(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers, filing_date="2024-03-15")
    event = await post_event(
        client,
        headers,
        record["id"],
        "F10",
        "2025-06-01",
        national_text="Cấp bằng độc quyền sáng chế",
    )
    assert event.status_code == 201, event.text
    assert (event.json()["effect"], event.json()["standard"]) == ("granted", "ST.27")
    got = await client.get(
        f"{BASE}/{record['id']}", params={"as_of": "2025-06-02"}, headers=headers
    )
    assert got.json()["summary_status"] == "granted"
    assert got.json()["term_ends_on"] == "2044-03-15"
    deadlines = (
        await client.get(
            f"{BASE}/{record['id']}/deadlines", params={"as_of": "2025-06-02"}, headers=headers
        )
    ).json()["deadlines"]
    annuities = [d for d in deadlines if d["rule"] == "annual_fee"]
    assert annuities[0]["key"] == "annual_fee:2"
    assert (annuities[0]["due_date"], annuities[0]["grace_until"]) == ("2026-06-01", "2026-12-01")
    assert len(annuities) == 18


async def test_missed_annuity_reads_lapsed_restorable_then_lapsed(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers, filing_date="2024-03-15")
    await post_event(client, headers, record["id"], "F10", "2025-06-01")
    url = f"{BASE}/{record['id']}"
    in_grace = await client.get(url, params={"as_of": "2026-08-01"}, headers=headers)
    after = await client.get(url, params={"as_of": "2026-12-02"}, headers=headers)
    assert in_grace.json()["summary_status"] == "lapsed_restorable"
    assert after.json()["summary_status"] == "lapsed"


async def test_events_posted_in_reverse_order_give_the_same_state_and_deadlines(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    events = [
        ("D11", "2024-04-10"),
        ("D10", "2024-09-01"),
        ("Q10", "2025-10-01"),
        ("F10", "2026-02-01"),
        ("U10", "2027-01-15"),
    ]
    in_order = await create_via_api(client, headers)
    reversed_ = await create_via_api(client, headers)
    for key, day in events:
        assert (await post_event(client, headers, in_order["id"], key, day)).status_code == 201
    for key, day in reversed(events):
        assert (await post_event(client, headers, reversed_["id"], key, day)).status_code == 201

    async def state(record_id: str) -> tuple[str, list[dict[str, object]]]:
        params = {"as_of": "2027-03-01"}
        body = (
            await client.get(f"{BASE}/{record_id}/deadlines", params=params, headers=headers)
        ).json()
        return body["summary_status"], body["deadlines"]

    assert await state(in_order["id"]) == await state(reversed_["id"])
    assert (await state(in_order["id"]))[0] == "in_force"
    listed = (await client.get(f"{BASE}/{reversed_['id']}/events", headers=headers)).json()["items"]
    assert [e["key_event"] for e in listed] == [key for key, _ in events]


async def test_the_same_event_twice_is_a_conflict(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers)
    first = await post_event(client, headers, record["id"], "Q10", "2025-10-01")
    again = await post_event(client, headers, record["id"], "Q10", "2025-10-01", source="gazette")
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/ip-event-duplicate"


async def test_key_event_must_belong_to_its_category(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers)
    response = await client.post(
        f"{BASE}/{record['id']}/events",
        json={"category": "F", "key_event": "Q10", "event_date": "2025-10-01"},
        headers=headers,
    )
    assert response.status_code == 422
    bad_shape = await post_event(client, headers, record["id"], "F1", "2025-10-01")
    assert bad_shape.status_code == 422


async def test_update_needs_a_current_if_match(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    created = await client.post(
        BASE,
        json={
            "ip_type": "trademark",
            "office": "VN",
            "title": "NHÃN HIỆU A",
            "application_number": number("4"),
        },
        headers=headers,
    )
    url, etag = created.headers["location"], created.headers["etag"]
    missing = await client.patch(url, json={"title": "B"}, headers=headers)
    assert missing.status_code == 428
    updated = await client.patch(
        url, json={"filing_date": "2024-01-05"}, headers={**headers, "If-Match": etag}
    )
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] != etag
    stale = await client.patch(url, json={"title": "C"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    null_title = await client.patch(
        url, json={"title": None}, headers={**headers, "If-Match": updated.headers["etag"]}
    )
    assert null_title.status_code == 422


async def test_new_event_changes_the_record_etag(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers)
    url = f"{BASE}/{record['id']}"
    before = (await client.get(url, headers=headers)).headers["etag"]
    posted = await post_event(client, headers, record["id"], "D11", "2024-04-10")
    after = (await client.get(url, headers=headers)).headers["etag"]
    assert before != after == posted.headers["etag"]


async def test_application_number_is_unique_per_office(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, alice = await login(client, session, ctx, roles=["scientist"])
    _, bob = await login(client, session, ctx, roles=["scientist"])
    taken = number()
    await create_via_api(client, alice, application_number=taken)
    again = await client.post(
        BASE,
        json={
            "ip_type": "invention_patent",
            "office": "VN",
            "title": "T",
            "application_number": taken,
        },
        headers=bob,
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/ip-application-number-taken"
    elsewhere = await create_via_api(client, bob, application_number=taken, office="EP")
    assert elsewhere["office"] == "EP"


async def test_user_without_the_ip_write_scope_cannot_create(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["fund"])
    response = await client.post(
        BASE, json={"ip_type": "trademark", "office": "VN", "title": "X"}, headers=headers
    )
    assert response.status_code == 403


async def test_unknown_type_or_office_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    for body in ({"ip_type": "recipe", "office": "VN"}, {"ip_type": "trademark", "office": "XX"}):
        response = await client.post(BASE, json={**body, "title": "X"}, headers=headers)
        assert response.status_code == 422


async def test_owner_deletes_a_record(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    record = await create_via_api(client, headers)
    await post_event(client, headers, record["id"], "D11", "2024-04-10")
    assert (await client.delete(f"{BASE}/{record['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{BASE}/{record['id']}", headers=headers)).status_code == 404


async def test_rule_table_is_published(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/ip-rules")
    assert response.status_code == 200
    codes = {rule["code"] for rule in response.json()["terms"]}
    assert {"formality_examination", "annual_fee", "pct_national_phase"} <= codes
