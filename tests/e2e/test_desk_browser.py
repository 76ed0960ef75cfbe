"""The agent desk and the wallboard in headless Chromium (Debian's, driven by Playwright)
against the real application served on a TCP port from the test's own loop, with a real
ACD engine (the call controller's AcdDriver) behind the desk and the live figures.

The agent logs in through the page and goes ready; the supervisor's wallboard shows her
ready; a caller queues and is offered to her; the controller's ``call.offered`` (published
here on the bus, as the controller does) pops the caller's customer record on the desk;
she answers, the call ends, she files a disposition with notes on the customer; the
wallboard follows her states and the queue figures, including a ``queue.stats`` published
on the bus. Screenshots are kept under var/artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from argon2 import PasswordHasher
from playwright.async_api import Page, async_playwright
from sqlalchemy.orm import Session

from control_plane.acd.commands import Command
from control_plane.acd.engine import Engine
from control_plane.acd.events import CallArrived, CallEnded, OfferAccepted
from control_plane.acd.model import AgentRef, CallRef
from control_plane.api.agent_acd_config import acd_events
from control_plane.api.agent_engine_desk import attach_engine
from control_plane.api.agent_live import AgentLedger
from control_plane.api.ws_protocol import WsConfig
from control_plane.api.ws_routes import WS_CONFIG
from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.calls.acd_driver import AcdDriver
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.models import Agent, Team, Tenant
from control_plane.db.repos.acd import load_acd_config
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.events import BUS
from control_plane.events.bus import EventKind, LiveEvent
from control_plane.runtime.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "artifacts" / "screenshots"
PASSWORD = "desk browser password"
SECRET = "desk-browser-test-token-secret-0123456789"
CALLER = "+8613800138000"


@dataclass
class Desk:
    """The served application, its base URL, its ACD and an admin's API session."""

    url: str
    app: web.Application
    driver: AcdDriver
    ids: dict[str, int]
    http: aiohttp.ClientSession
    tokens: dict[str, str]

    async def call(self, user: str, method: str, path: str, json: Any = None) -> Any:
        async with self.http.request(method, self.url + path, json=json, headers={
                "Authorization": f"Bearer {self.tokens[user]}"}) as resp:
            body = await resp.json() if resp.status != 204 else None
            assert resp.status < 300, (method, path, resp.status, body)
            return body

    def publish(self, event: LiveEvent) -> None:
        self.app[BUS].publish(event)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(db_url: str) -> int:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    with Session(engine) as s, s.begin():
        s.add(Tenant(id="acme", name="Acme"))
        s.flush()
        team = Team(tenant="acme", name="red")
        s.add(team)
        s.flush()
        ann = Agent(tenant="acme", name="Ann", team_id=team.id)
        s.add(ann)
        s.flush()
        ann_id = ann.id
    engine.dispose()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    directory = SqlUserDirectory(make_engine(db_url))
    for name, role, agent in (("adam", Role.ADMIN, None), ("sue", Role.SUPERVISOR, None),
                              ("ann", Role.AGENT, ann_id)):
        await directory.create(NewUser(tenant="acme", username=name, password_hash=hashed,
                                       role=role, agent_id=agent))
    return ann_id


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    db_url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    ann_id = await _seed(db_url)
    commands: list[Command] = []

    def sink(command: Command) -> None:
        commands.append(command)
        ledger.observe(command)
    driver = AcdDriver(Engine(), on_command=sink)
    ledger = AgentLedger(driver.engine, driver.now)
    app = create_app(load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_DATABASE__URL": db_url,
        "CC_AUTH__TOKEN_SECRET": SECRET}))
    attach_engine(app, driver, ledger, on_disposition=lambda _d: None)
    app[WS_CONFIG] = WsConfig(pump_tick=0.2)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        tokens = {}
        for user in ("adam", "sue"):
            async with http.post(url + "/api/v1/auth/login", json={
                    "tenant": "acme", "username": user, "password": PASSWORD}) as resp:
                tokens[user] = (await resp.json())["token"]
        d = Desk(url, app, driver, {"ann": ann_id}, http, tokens)
        await _configure(d, db_url)
        yield d
    await runner.cleanup()


async def _configure(d: Desk, db_url: str) -> None:
    zh = (await d.call("adam", "POST", "/api/v1/skills", {"name": "zh"}))["id"]
    sales = (await d.call("adam", "POST", "/api/v1/queues", {
        "name": "sales", "sla_target_seconds": 20, "wrap_up_seconds": 120}))["id"]
    await d.call("adam", "PUT", f"/api/v1/queues/{sales}/skills/{zh}", {})
    await d.call("adam", "POST", "/api/v1/pause-reasons", {"code": "lunch", "label": "Lunch"})
    await d.call("adam", "PUT", f"/api/v1/agents/{d.ids['ann']}/skills/{zh}",
                 {"proficiency": 3})
    await d.call("adam", "PUT", f"/api/v1/queues/{sales}/members/{d.ids['ann']}", {})
    engine = make_engine(db_url)
    with Session(engine) as s:
        config = load_acd_config(s, "acme")
    engine.dispose()
    for event in acd_events(config):
        assert d.driver.apply(event).ok
    customer = await d.call("sue", "POST", "/api/v1/customers",
                            {"name": "Wang Fang", "vip": True, "phones": [CALLER]})
    d.ids["customer"] = customer["id"]
    await d.call("sue", "POST", "/api/v1/notes", {
        "customer_id": customer["id"], "call_id": "earlier-call",
        "body": "Asked when the refund arrives"})
    await d.call("sue", "POST", "/api/v1/tickets", {
        "customer_id": customer["id"], "subject": "Refund for SO-7", "status": "open"})
    await d.call("sue", "POST", "/api/v1/orders", {
        "customer_id": customer["id"], "reference": "SO-7", "amount": "199.00",
        "currency": "CNY", "status": "paid"})


async def _login(page: Page, url: str, user: str) -> None:
    await page.goto(url)
    await page.fill("#login-tenant", "acme")
    await page.fill("#login-user", user)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#link[data-status=connected]", timeout=10_000)


def _agent_row(page: Page, agent_id: int, state: str) -> str:
    return f"#agents tr[data-agent='{agent_id}'][data-state='{state}']"


async def test_offer_pops_the_customer_and_the_wallboard_follows(desk: Desk) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Debian chromium is missing: .ci/bootstrap.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    ann_id = desk.ids["ann"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        ctx_agent = await browser.new_context(viewport={"width": 1300, "height": 900})
        ctx_sup = await browser.new_context(viewport={"width": 1400, "height": 800})
        agent, board = await ctx_agent.new_page(), await ctx_sup.new_page()
        for page in (agent, board):
            page.on("console",
                    lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

        await _login(board, desk.url + "/desk/wallboard", "sue")
        await board.wait_for_selector(_agent_row(board, ann_id, "logged_out"))
        await _login(agent, desk.url + "/desk/", "ann")
        assert await agent.get_attribute("#state", "data-state") == "logged_out"
        await agent.click("#acd-login")
        await agent.wait_for_selector("#state[data-state=ready]")
        await board.wait_for_selector(_agent_row(board, ann_id, "ready"), timeout=5000)
        assert await board.inner_text("#t-ready") == "1"

        # A caller queues; the ACD offers the call to Ann; the controller publishes the offer.
        call = CallRef("acme", "call-1@edge")
        desk.driver.apply(CallArrived(call, queue="sales", caller=CALLER))
        desk.publish(LiveEvent(EventKind.CALL_OFFERED, "acme", queue="sales",
                               agent=str(ann_id), call_id=call.call,
                               data={"caller": CALLER, "ring_timeout_s": 20}))
        await agent.wait_for_selector("#offer:not([hidden])", timeout=5000)
        assert await agent.inner_text("#offer-caller") == CALLER
        pop = agent.locator("#pop .customer")
        assert await pop.locator(".customer-name").inner_text() == "Wang FangVIP"
        text = await pop.inner_text()
        for expected in ("Asked when the refund arrives", "Refund for SO-7", "SO-7 199.00 CNY"):
            assert expected in text, text
        assert await pop.locator(".last-call").inner_text() != "never"
        await board.wait_for_selector(_agent_row(board, ann_id, "offered"), timeout=5000)
        await agent.screenshot(path=str(SHOTS / "desk-1-offer-screen-pop.png"), full_page=True)

        # She answers (the controller tells the ACD and publishes the connection).
        assert desk.driver.apply(OfferAccepted(call, AgentRef("acme", str(ann_id)))).ok
        desk.publish(LiveEvent(EventKind.CALL_CONNECTED, "acme", queue="sales",
                               agent=str(ann_id), call_id=call.call,
                               data={"caller": CALLER, "waited_s": 3}))
        await agent.wait_for_selector("#offer", state="hidden")
        await agent.wait_for_selector("#call-info:not([hidden])")
        assert await agent.inner_text("#call-caller") == CALLER
        await board.wait_for_selector(_agent_row(board, ann_id, "on_call"), timeout=5000)
        assert await board.inner_text("#t-oncall") == "1"

        # The call ends: wrap-up, disposition and notes filed on the customer.
        assert desk.driver.apply(CallEnded(call)).ok
        desk.publish(LiveEvent(EventKind.CALL_ENDED, "acme", queue="sales",
                               agent=str(ann_id), call_id=call.call,
                               data={"outcome": "answered", "talk_s": 42}))
        await agent.wait_for_selector("#state[data-state=wrap_up]", timeout=5000)
        await agent.fill("#disposition-code", "refund_info")
        await agent.fill("#disposition-notes", "Told her the refund left on Monday")
        await agent.click("#disposition button[type=submit]")
        await agent.wait_for_selector("#disposition-done:not([hidden])")
        notes = await desk.call("sue", "GET", f"/api/v1/notes?call_id={call.call}")
        assert [n["body"] for n in notes["items"]] == [
            "[refund_info] Told her the refund left on Monday"]
        await agent.screenshot(path=str(SHOTS / "desk-2-wrap-up-disposition.png"),
                               full_page=True)
        await agent.click("#end-wrap")
        await agent.wait_for_selector("#state[data-state=ready]")

        # Pause with a reason; callers queue; the wallboard's queue figures follow the ACD.
        await agent.select_option("#pause-reason", "lunch")
        await agent.click("#pause")
        await agent.wait_for_selector("#state[data-state=paused]")
        await board.wait_for_selector(_agent_row(board, ann_id, "paused"), timeout=5000)
        for i in range(2):
            desk.driver.apply(CallArrived(CallRef("acme", f"w{i}"), queue="sales"))
        await board.wait_for_function(
            "document.querySelector(\"#queues tr[data-queue='sales'] .waiting\")"
            "?.textContent === '2'", timeout=5000)
        assert await board.inner_text("#t-waiting") == "2"
        assert await board.inner_text("#queues tr[data-queue='sales'] .sl") == "100%"

        # A queue.stats published on the bus reaches the wallboard as it is.
        desk.publish(LiveEvent(EventKind.QUEUE_STATS, "acme", queue="billing", data={
            "queue": "billing", "waiting": 5, "oldest_wait_seconds": 75.0,
            "agents": {"ready": 0}, "answered": 8, "answered_in_target": 6,
            "abandoned": 2, "short_abandoned": 0, "target_seconds": 20,
            "service_level": 0.6}))
        await board.wait_for_selector("#queues tr[data-queue='billing']", timeout=5000)
        assert await board.inner_text("#queues tr[data-queue='billing'] .waiting") == "5"
        assert await board.inner_text("#t-waiting") == "7"
        assert await board.inner_text("#t-oldest") == "1:15"
        await board.screenshot(path=str(SHOTS / "desk-3-wallboard.png"), full_page=True)
        await browser.close()
    assert not problems, problems


async def test_pages_in_chinese(desk: Desk) -> None:
    chromium = shutil.which("chromium")
    assert chromium
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page()
        await page.goto(desk.url + "/desk/?lang=zh")
        assert await page.inner_text("#login button[type=submit]") == "登录"
        assert await page.get_attribute("html", "lang") == "zh-CN"
        await browser.close()
