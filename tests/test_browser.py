"""End to end in a real browser: the landing page, then an operator signs in on the dashboard
and sees the figures the API reports. Screenshots go to ``var/screenshots/``.

Drives the system's Chromium (Debian's ``chromium`` package) with Playwright; ``.ci/run``
installs it. Where no Chromium can be installed the test skips and says so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.demo.seed import USERS
from tests.conftest import fresh_database_url

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "var" / "screenshots"
ADMIN_EMAIL, ADMIN_PASSWORD = USERS[0][0], USERS[0][1]
FUND_EMAIL, FUND_PASSWORD = USERS[4][0], USERS[4][1]


def _chromium() -> str:
    found = os.environ.get("TECHX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.skip(
            "no Chromium on this machine (apt-get install chromium, or set TECHX_CHROMIUM): "
            "the browser test cannot run"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _techx(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app on a free loopback port, on a new database seeded with the demo data."""
    env = {
        **os.environ,
        "TECHX_DATABASE_URL": fresh_database_url("browser"),
        "TECHX_ENV": "development",
        "TECHX_JOBS_IN_PROCESS": "false",
    }
    _techx(env, "db", "upgrade")
    _techx(env, "demo")
    port = _free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-migrate"]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        if process.poll() is None:
            process.kill()


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError("the server did not become ready")


def _api_tiles(base: str) -> dict[str, int | None]:
    form = {"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    body = httpx.get(f"{base}/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
    return {t["id"]: t["value"] for t in body.json()["tiles"]}


def test_dashboard_and_landing_page_in_chromium(server: str) -> None:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            sent: list[str] = []
            blocked: list[str] = []  # stopped by the page's Content-Security-Policy

            def fresh_page() -> Any:
                """A page in a new context: its own empty session storage."""
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.on("request", lambda r: sent.append(r.url))
                page.on(
                    "requestfailed",
                    lambda r: blocked.append(r.url) if r.failure == "csp" else None,
                )
                return page

            _landing(fresh_page(), server)
            _docs(fresh_page(), server)
            _fund_is_refused(fresh_page(), server)
            for lang in ("en", "vi"):
                _operator_dashboard(fresh_page(), server, lang)
            local = (server, "blob:", "data:")
            assert [u for u in sent if not u.startswith(local) and u not in blocked] == []
        finally:
            browser.close()


def _landing(page: Any, server: str) -> None:
    page.goto(f"{server}/?lang=en")
    assert "Initiative Portal" in page.title()
    page.screenshot(path=str(SHOTS / "landing-en.png"), full_page=True)
    page.goto(f"{server}/")
    page.screenshot(path=str(SHOTS / "landing-vi.png"), full_page=True)


def _docs(page: Any, server: str) -> None:
    page.goto(f"{server}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30000)
    assert "TechX" in page.inner_text(".swagger-ui .info .title")
    page.screenshot(path=str(SHOTS / "docs.png"))
    page.goto(f"{server}/redoc")
    page.wait_for_selector("[role=search], .api-content", timeout=30000)
    page.screenshot(path=str(SHOTS / "redoc.png"))


def _sign_in(page: Any, server: str, email: str, password: str, lang: str) -> None:
    page.goto(f"{server}/dashboard?lang={lang}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")


def _fund_is_refused(page: Any, server: str) -> None:
    _sign_in(page, server, FUND_EMAIL, FUND_PASSWORD, "en")
    error = page.locator("#login-error")
    error.filter(has_text="operator").wait_for(timeout=15000)
    assert page.locator("#board").is_hidden()


def _operator_dashboard(page: Any, server: str, lang: str) -> None:
    _sign_in(page, server, ADMIN_EMAIL, ADMIN_PASSWORD, lang)
    page.wait_for_selector("body[data-loaded='true']", timeout=20000)
    page.wait_for_selector("body[data-charts='true']", timeout=30000)
    assert page.locator("#login").is_hidden() and page.locator("#logout").is_visible()
    shown = page.eval_on_selector_all(
        "[data-tile]",
        "els => els.map(e => [e.dataset.tile, e.querySelector('.value').dataset.value])",
    )
    expected = _api_tiles(server)
    assert {k: (int(v) if v else None) for k, v in shown} == expected
    assert expected["received_this_month"] and expected["published"]
    drawn = page.eval_on_selector_all(
        "img[data-chart]", "els => els.filter(e => e.complete && e.naturalWidth > 0).length"
    )
    assert drawn == 5
    assert page.locator("#events tr").count() > 0
    page.screenshot(path=str(SHOTS / f"dashboard-{lang}.png"), full_page=True)
