"""Bulk import of office exports: per-row results, idempotency, dry runs, the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from app.core.config import Settings
from app.core.migrations import upgrade
from app.models import IpEvent
from tests.conftest import fresh_database_url, run_blocking
from tests.factories import login, make_user
from tests.ip_helpers import make_record, number

IMPORT = "/api/v1/ip-records/import"
HEADER = (
    "office,application_number,category,key_event,national_code,national_text,event_date,fee_year"
)


def _csv(numbers: tuple[str, str], *, bad_line: bool = False) -> str:
    a, b = numbers
    rows = [
        HEADER,
        f"VN,{a},D,D11,TT-01,Chấp nhận đơn hợp lệ,2024-04-10,",
        f'VN,{a},Q,Q10,CB-01,"Công bố đơn, tập A",2025-10-01,',
        f"VN,{b},F,F10,CB-02,Cấp bằng,2025-06-01,",
        f"VN,{b},U,U10,PD-02,Nộp phí duy trì,2026-05-10,2",
    ]
    if bad_line:
        rows.insert(2, f"VN,{a},Q,Q10,CB-09,Ngày sai,2025-13-45,")
    return "\r\n".join(rows) + "\r\n"


async def _records(session: AsyncSession, ctx: AppContext, owner: Any) -> tuple[str, str]:
    first = await make_record(session, owner)
    second = await make_record(session, owner, application_number=number())
    assert first.application_number and second.application_number
    return first.application_number, second.application_number


async def _event_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(IpEvent)) or 0)


async def _post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: str,
    *,
    content_type: str = "text/csv",
    dry_run: bool = False,
) -> httpx.Response:
    return await client.post(
        IMPORT,
        params={"dry_run": str(dry_run).lower()},
        content=body.encode(),
        headers={**headers, "Content-Type": content_type},
    )


async def test_csv_import_applies_each_row_and_reports_it(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    numbers = await _records(session, ctx, owner)
    response = await _post(client, headers, _csv(numbers))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["applied"], report["duplicate"], report["rejected"]) == (4, 0, 0)
    assert [row["line"] for row in report["rows"]] == [2, 3, 4, 5]
    assert all(row["event_id"] for row in report["rows"])
    assert await _event_count(session) == 4


async def test_reimporting_the_same_file_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    numbers = await _records(session, ctx, owner)
    body = _csv(numbers)
    await _post(client, headers, body)
    listed = await client.get("/api/v1/ip-records", headers=headers)
    versions = {r["id"]: r["version"] for r in listed.json()["items"]}
    again = (await _post(client, headers, body)).json()
    assert (again["applied"], again["duplicate"], again["rejected"]) == (0, 4, 0)
    assert await _event_count(session) == 4
    relisted = await client.get("/api/v1/ip-records", headers=headers)
    assert {r["id"]: r["version"] for r in relisted.json()["items"]} == versions


async def test_malformed_row_is_rejected_alone_with_its_line_number(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    numbers = await _records(session, ctx, owner)
    report = (await _post(client, headers, _csv(numbers, bad_line=True))).json()
    rejected = [row for row in report["rows"] if row["status"] == "rejected"]
    assert [row["line"] for row in rejected] == [3]
    assert "event_date" in rejected[0]["reason"]
    assert report["applied"] == 4
    assert await _event_count(session) == 4


async def test_dry_run_reports_without_writing(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    numbers = await _records(session, ctx, owner)
    report = (await _post(client, headers, _csv(numbers), dry_run=True)).json()
    assert report["dry_run"] is True
    assert (report["applied"], report["rejected"]) == (4, 0)
    assert all(row["event_id"] is None for row in report["rows"])
    assert await _event_count(session) == 0
    listed = (await client.get("/api/v1/ip-records", headers=headers)).json()["items"]
    assert {r["summary_status"] for r in listed} == {"pending"}


async def test_json_import_reports_the_position_of_a_bad_item(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    a, _ = await _records(session, ctx, owner)
    items = [
        {
            "office": "VN",
            "application_number": a,
            "category": "D",
            "key_event": "D11",
            "event_date": "2024-04-10",
        },
        {
            "office": "VN",
            "application_number": a,
            "category": "Q",
            "key_event": "F10",
            "event_date": "2025-10-01",
        },
        "not an event",
    ]
    report = (
        await _post(client, headers, json.dumps(items), content_type="application/json")
    ).json()
    assert [(r["line"], r["status"]) for r in report["rows"]] == [
        (1, "applied"),
        (2, "rejected"),
        (3, "rejected"),
    ]


async def test_json_lines_import_reports_real_line_numbers(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner, headers = await login(client, session, ctx, roles=["scientist"])
    a, _ = await _records(session, ctx, owner)
    good = json.dumps(
        {
            "office": "VN",
            "application_number": a,
            "category": "D",
            "key_event": "D11",
            "event_date": "2024-04-10",
        }
    )
    body = f"{good}\n\n{{broken\n"
    report = (await _post(client, headers, body, content_type="application/x-ndjson")).json()
    assert [(r["line"], r["status"]) for r in report["rows"]] == [(1, "applied"), (3, "rejected")]


async def test_rows_for_records_you_do_not_manage_are_rejected(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    owner = await make_user(session, ctx)
    numbers = await _records(session, ctx, owner)
    _, stranger = await login(client, session, ctx, roles=["scientist"])
    report = (await _post(client, stranger, _csv(numbers))).json()
    assert report["rejected"] == 4
    assert "that you manage" in report["rows"][0]["reason"]
    assert await _event_count(session) == 0


async def test_import_refuses_other_media_types_and_a_header_without_required_columns(
    client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["scientist"])
    xml = await _post(client, headers, "<events/>", content_type="application/xml")
    assert xml.status_code == 415
    no_columns = await _post(client, headers, "office,event_date\r\nVN,2024-01-01\r\n")
    assert no_columns.status_code == 422
    assert "application_number" in no_columns.json()["detail"]


def _techx(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TECHX_DATABASE_URL": url},
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )


async def _seed_cli_database(url: str) -> tuple[str, str]:
    run_blocking(upgrade, url)
    ctx = AppContext.from_settings(Settings(database={"url": url}))  # type: ignore[arg-type]
    try:
        async with ctx.sessionmaker() as session:
            owner = await make_user(session, ctx)
            return await _records(session, ctx, owner)
    finally:
        await ctx.engine.dispose()


async def test_import_command_is_idempotent_and_reports_rejections(tmp_path: Path) -> None:
    url = fresh_database_url("ipimport")
    numbers = await _seed_cli_database(url)
    export = tmp_path / "export.csv"
    export.write_text(_csv(numbers, bad_line=True), encoding="utf-8")

    dry = _techx(url, "ip", "import", str(export), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "4 would apply, 0 duplicate, 1 rejected (dry run" in dry.stdout
    first = _techx(url, "ip", "import", str(export))
    assert "line 3: rejected" in first.stdout
    assert "5 rows: 4 applied, 0 duplicate, 1 rejected" in first.stdout
    again = _techx(url, "ip", "import", str(export))
    assert "5 rows: 0 applied, 4 duplicate, 1 rejected" in again.stdout
    assert "importing" in first.stdout  # the progress bar
