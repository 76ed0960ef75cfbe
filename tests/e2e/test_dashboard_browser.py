"""The BI page in headless Chromium (Debian's, driven by Playwright) against a running
control plane (``python -m control_plane serve``) whose own chDB holds the sample.

The reader logs in through the page, the charts draw on canvases with data in them, a queue
filter changes the figures to the right ones, the decision drill-down opens with callers
masked for the analyst, and the console stays free of errors. Screenshots are kept under
var/artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from playwright.async_api import Page, async_playwright
from sqlalchemy.orm import Session

from analytics.dashboard.sample import TENANTS, calls
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.models import Tenant
from control_plane.db.users_repo import SqlUserDirectory

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "artifacts" / "screenshots"
PASSWORD = "browser test password"
CHARTS = ("chart-volume", "chart-rates", "chart-times", "chart-heatmap", "chart-curve",
          "chart-staffing")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class RunningCenter:
    """A control-plane process serving /bi/ and where it logs."""

    url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed_users(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    with Session(engine) as s, s.begin():
        s.add_all([Tenant(id="acme", name="Acme"), Tenant(id="globex", name="Globex")])
    engine.dispose()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    directory = SqlUserDirectory(make_engine(db_url))

    async def create() -> None:
        for tenant, name, role in (("acme", "ana", Role.ANALYST),
                                   (None, "root", Role.SUPER_ADMIN)):
            await directory.create(NewUser(tenant=tenant, username=name,
                                           password_hash=hashed, role=role))

    asyncio.run(create())


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"control plane exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"control plane not healthy in 30 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCenter]:
    run_dir = tmp_path_factory.mktemp("bi-center")
    # Another process loads the sample: the control plane then owns this chDB path.
    subprocess.run([sys.executable, "-m", "analytics.dashboard.sample",
                    "--chdb", str(run_dir / "analytics" / "chdb")],
                   cwd=REPO, check=True, timeout=300, capture_output=True)
    db_url = f"sqlite:///{run_dir / 'callcenter.sqlite'}"
    _seed_users(db_url)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update({"CC_API__HOST": "127.0.0.1", "CC_API__PORT": str(port),
                "CC_DATABASE__URL": db_url, "CC_RUNTIME__RUN_DIR": str(run_dir),
                "CC_RUNTIME__TOPOLOGY": str(run_dir / "no-topology.toml"),
                "CC_AUTH__TOKEN_SECRET": "browser-test-token-secret-0123456789abcdef"})
    log = run_dir / "control-plane.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "control_plane", "serve"], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield RunningCenter(url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _offered(tenant: str, start: datetime, end: datetime, queue: str | None = None) -> int:
    """Calls of the sample in [start, end), straight from the generator."""
    t = next(x for x in TENANTS if x.name == tenant)
    count = 0
    for c, _ in calls(t):
        at = c["enqueued_at"]
        assert isinstance(at, datetime)
        count += start <= at < end and (queue is None or c["queue"] == queue)
    return count


async def _loads(page: Page, n: int) -> None:
    await page.wait_for_function(f"document.body.dataset.loads === '{n}'", timeout=60_000)


async def _charts_drawn(page: Page) -> None:
    for chart in CHARTS:
        assert await page.locator(f"#{chart} canvas").count() >= 1, chart
        points = await page.evaluate(
            f"bi.charts['{chart}'].getOption().series.map(s => s.data.length)")
        assert max(points) > 0, chart


async def test_the_page_draws_filters_and_drills_down(center: RunningCenter) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Debian chromium is missing: .ci/bootstrap.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{center.url}/bi/")
        await page.fill("#login-tenant", "acme")
        await page.fill("#login-user", "ana")
        await page.fill("#login-password", PASSWORD)
        await page.click("#login button[type=submit]")
        await _loads(page, 1)
        # The default range is the last two weeks holding data: 16 to 29 March, local.
        assert (await page.input_value("#start"), await page.input_value("#end")) == \
            ("2026-03-16", "2026-03-29")
        assert await page.is_hidden("#tenant-field")  # an analyst has no tenant to pick
        start, end = datetime(2026, 3, 16, tzinfo=SHANGHAI), datetime(2026, 3, 30,
                                                                      tzinfo=SHANGHAI)
        everything = _offered("acme", start, end)
        assert int(await page.inner_text("#tile-offered")) == everything
        await _charts_drawn(page)
        assert await page.locator("#league tbody tr").count() == 12
        await page.screenshot(path=str(SHOTS / "bi-1-loaded.png"), full_page=True)

        await page.select_option("#queue", "billing")
        await page.select_option("#grain", "hour")
        await page.click("#apply")
        await _loads(page, 2)
        billing = _offered("acme", start, end, "billing")
        assert 0 < billing < everything
        assert int(await page.inner_text("#tile-offered")) == billing
        hours = await page.evaluate("bi.charts['chart-volume'].getOption().xAxis[0].data")
        assert hours[0].endswith(":00") and len(hours) > 14  # hourly buckets now
        await _charts_drawn(page)
        queues = {await c.inner_text() for c in
                  await page.locator("#decisions tbody tr td:nth-child(2)").all()}
        assert queues == {"billing"}
        await page.screenshot(path=str(SHOTS / "bi-2-billing-hourly.png"), full_page=True)

        await page.locator("#decisions tbody tr").first.click()
        await page.wait_for_selector("#decision-detail[data-decision]", timeout=30_000)
        assert await page.locator("#chart-candidates canvas").count() >= 1
        shown = await page.get_attribute("#decision-detail", "data-decision")
        decision = next(d for _, d in calls(TENANTS[0]) if d and d["event_id"] == shown)
        drawn = await page.evaluate(
            "bi.charts['chart-candidates'].getOption().series[0].data.map(d => d.value)")
        assert sorted(drawn) == sorted(decision["scores"])  # type: ignore[call-overload]
        callers = await page.locator("#decision-detail tbody tr td:last-child").all()
        assert callers and {await c.inner_text() for c in callers} == {"••••"}
        await page.locator("#decision-detail").screenshot(
            path=str(SHOTS / "bi-3-decision.png"))
        await browser.close()
    assert problems == []


async def test_the_operator_switches_tenant(center: RunningCenter) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Debian chromium is missing: .ci/bootstrap.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{center.url}/bi/")
        await page.fill("#login-user", "root")
        await page.fill("#login-password", PASSWORD)
        await page.click("#login button[type=submit]")
        await _loads(page, 1)
        assert await page.is_visible("#tenant-field")
        await page.fill("#tz", "Europe/Berlin")
        await page.select_option("#tenant", "globex")
        await _loads(page, 2)
        berlin = ZoneInfo("Europe/Berlin")
        offered = _offered("globex", datetime(2026, 3, 16, tzinfo=berlin),
                           datetime(2026, 3, 30, tzinfo=berlin))
        assert int(await page.inner_text("#tile-offered")) == offered
        agents = {await c.inner_text() for c in
                  await page.locator("#league tbody tr td:first-child").all()}
        assert agents and all(a.startswith("g") for a in agents)
        await _charts_drawn(page)
        await page.screenshot(path=str(SHOTS / "bi-4-operator-globex.png"), full_page=True)
        await browser.close()
    assert problems == []
