"""``techx report``: the operations report from the command line, the same figures as the API."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession

from app.context import AppContext
from tests.factories import login
from tests.initiative_helpers import techx


def _figures(text: str) -> dict[tuple[str, str, str], tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(text))
    return {(r["section"], r["key"], r["measure"]): (r["current"], r["previous"]) for r in rows}


async def test_cli_csv_has_the_figures_the_api_reports(
    database_url: str, client: httpx.AsyncClient, session: AsyncSession, ctx: AppContext
) -> None:
    _, headers = await login(client, session, ctx, roles=["admin"])
    api = await client.get(
        "/api/v1/reports/operations", params={"period": "2026-Q1", "format": "csv"}, headers=headers
    )
    result = techx(database_url, "report", "--period", "2026-Q1", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert len(_figures(result.stdout)) > 100
    assert _figures(result.stdout) == _figures(api.text)


def test_cli_writes_a_workbook(database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    result = techx(
        database_url, "report", "--period", "2026-04", "--format", "xlsx", "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[0] == "figures"


def test_cli_refuses_a_malformed_period(database_url: str) -> None:
    result = techx(database_url, "report", "--period", "2026-13")
    assert result.returncode == 2
    assert "YYYY-MM" in result.stderr
