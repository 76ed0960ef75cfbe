"""The admin pages in headless Chromium (Debian's, driven by Playwright) against the real
application served on a TCP port, with its SQLite configuration database.

A tenant admin logs in through the page and builds a small center with the pages alone: a
skill, a queue needing it, a seat, an agent on that seat with the skill, a DID routed to the
queue, and a two-level IVR saved as a version and activated; an invalid IVR is refused
with the API's error id shown at the node at fault; lists page; an API refusal (a delete
of a row still in use) is shown with its error id. An agent logging in gets "not allowed"
and the API refuses her the pages' data. Screenshots go to var/artifacts/screenshots/.
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
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy.orm import Session

from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.models import Agent, Queue, Tenant
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.runtime.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "artifacts" / "screenshots"
PASSWORD = "admin browser password"
SECRET = "admin-browser-test-token-secret-0123456789"
SIP_PASSWORD = "Seat-Secret-4711"


@dataclass
class Served:
    """The served application, its base URL and API sessions by user."""

    url: str
    http: aiohttp.ClientSession
    tokens: dict[str, str]

    async def call(self, user: str, method: str, path: str, json: Any = None,
                   *, status: int = 200) -> Any:
        async with self.http.request(method, self.url + path, json=json, headers={
                "Authorization": f"Bearer {self.tokens[user]}"}) as resp:
            body = await resp.json() if resp.status != 204 else None
            assert resp.status == status, (method, path, resp.status, body)
            return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    with Session(engine) as s, s.begin():
        s.add_all([Tenant(id="acme", name="Acme"), Tenant(id="globex", name="Globex")])
        s.flush()
        # Another tenant's rows, which acme's admin must never see.
        s.add_all([Queue(tenant="globex", name="globex-secret"),
                   Agent(tenant="globex", name="Gina")])
        ann = Agent(tenant="acme", name="Ann")
        s.add(ann)
        s.flush()
        ann_id = ann.id
    engine.dispose()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    directory = SqlUserDirectory(make_engine(db_url))
    for tenant, name, role, agent in (("acme", "adam", Role.ADMIN, None),
                                      ("acme", "ann", Role.AGENT, ann_id),
                                      (None, "root", Role.SUPER_ADMIN, None)):
        await directory.create(NewUser(tenant=tenant, username=name, password_hash=hashed,
                                       role=role, agent_id=agent))


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    db_url = f"sqlite:///{tmp_path / 'admin.sqlite'}"
    await _seed(db_url)
    app = create_app(load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_DATABASE__URL": db_url,
        "CC_AUTH__TOKEN_SECRET": SECRET}))
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        tokens = {}
        for user in ("adam", "ann"):
            async with http.post(url + "/api/v1/auth/login", json={
                    "tenant": "acme", "username": user, "password": PASSWORD}) as resp:
                tokens[user] = (await resp.json())["token"]
        yield Served(url, http, tokens)
    await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian chromium is missing: .ci/bootstrap.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        await b.close()


async def _page(browser: Browser, problems: list[str]) -> Page:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    # Refusals the test provokes show in the console as failed loads; anything else is a bug.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    return page


async def _login(page: Page, url: str, user: str, tenant: str = "acme") -> None:
    await page.goto(url + "/admin/")
    await page.fill("#login-tenant", tenant)
    await page.fill("#login-user", user)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login button[type=submit]")


async def _section(page: Page, key: str) -> None:
    await page.click(f"#nav-{key}")
    await page.wait_for_selector(f"#view[data-section='{key}'] #list-{key} thead")


async def _create(page: Page, key: str, values: dict[str, str], name: str) -> int:
    """Fill the section's form, create the row and return its id (the form then edits it)."""
    if await page.locator(f"#new-{key}").count():
        await page.click(f"#new-{key}")
        await page.wait_for_selector(f"#form-{key}[data-editing='']")
    for field, value in values.items():
        selector = f"#f-{key}-{field}"
        if await page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
            await page.select_option(selector, label=value)
        else:
            await page.fill(selector, value)
    await page.click(f"#save-{key}")
    row = await page.wait_for_selector(f"#list-{key} tr[data-name='{name}']")
    assert row is not None
    row_id = int(await row.get_attribute("data-id") or 0)
    await page.wait_for_selector(f"#form-{key}[data-editing='{row_id}']")
    return row_id


async def _notice(page: Page, text: str) -> None:
    await page.wait_for_function(
        "t => document.querySelector('#notice:not([hidden])')?.textContent.includes(t)", arg=text)


async def _build_center(page: Page, served: Served) -> dict[str, int]:
    ids = {"skill": await _create(page, "skills", {"name": "billing"}, "billing")}
    await _section(page, "queues")
    assert await page.locator("#list-queues tr[data-name='globex-secret']").count() == 0
    ids["queue"] = await _create(page, "queues", {
        "name": "support", "strategy": "best_match", "sla_target_seconds": "30",
        "sla_target_percent": "90", "overflow_action": "voicemail",
        "announce_period_seconds": "45"}, "support")
    await page.select_option("#queue-skills-target", label="billing")
    await page.fill("#queue-skills-amount", "2")
    await page.click("#queue-skills-set")
    await page.wait_for_selector(f"#queue-skills-items li[data-target='{ids['skill']}']"
                                 "[data-amount='2']")
    queue = await served.call("adam", "GET", f"/api/v1/queues/{ids['queue']}")
    assert (queue["strategy"], queue["sla_target_seconds"], queue["sla_target_percent"],
            queue["overflow_action"], queue["announce_period_seconds"]) == (
                "best_match", 30, 90, "voicemail", 45)
    assert await page.inner_text(f"#list-queues tr[data-id='{ids['queue']}'] "
                                 "td[data-field='sla']") == "90% in 30 s"

    await _section(page, "seats")
    ids["seat"] = await _create(page, "seats", {
        "sip_username": "bob", "domain": "acme.example", "label": "Bob's phone",
        "password": SIP_PASSWORD}, "bob")
    assert await page.input_value("#f-seats-password") == ""
    assert SIP_PASSWORD not in await page.content()
    assert await page.inner_text(f"#list-seats tr[data-id='{ids['seat']}'] "
                                 "td[data-field='credential_id']") == "set"

    await _section(page, "agents")
    ids["agent"] = await _create(page, "agents", {
        "name": "Bob", "extension": "2001", "seat_id": "bob@acme.example"}, "Bob")
    await page.select_option("#agent-skills-target", label="billing")
    await page.fill("#agent-skills-amount", "4")
    await page.click("#agent-skills-set")
    await page.wait_for_selector(f"#agent-skills-items li[data-target='{ids['skill']}']"
                                 "[data-amount='4']")
    assert await page.locator("#list-agents tr[data-name='Gina']").count() == 0
    skills = await served.call("adam", "GET", f"/api/v1/agents/{ids['agent']}/skills")
    assert [(s["skill_id"], s["proficiency"]) for s in skills["items"]] == [(ids["skill"], 4)]
    agent = await served.call("adam", "GET", f"/api/v1/agents/{ids['agent']}")
    assert (agent["seat_id"], agent["extension"]) == (ids["seat"], "2001")

    await _section(page, "dids")
    # Bad input is the API's to judge: its error id and the field at fault are shown.
    await page.fill("#f-dids-number", "5550100")
    await page.click("#save-dids")
    await page.wait_for_selector(
        "#error[data-error-id='request.invalid_body'][data-field='number']")
    assert "field number" in await page.inner_text("#error")
    ids["did"] = await _create(page, "dids", {"number": "+15550100",
                                              "description": "Support line"}, "+15550100")
    await page.wait_for_selector("#route-now:has-text('not routed')")
    await page.select_option("#route-kind", "queue")
    await page.select_option("#route-target", label="support")
    await page.click("#route-save")
    await page.wait_for_selector("#route-now[data-kind='queue']")
    assert "support" in await page.inner_text("#route-now")
    route = await served.call("adam", "GET", f"/api/v1/dids/{ids['did']}/route")
    assert route == {"did_id": ids["did"], "kind": "queue", "target_id": ids["queue"]}

    await _section(page, "prompts")
    for name in ("welcome", "billing_menu"):
        await _create(page, "prompts", {"name": name, "file_path": f"{name}.wav"}, name)
    await page.screenshot(path=str(SHOTS / "admin-1-prompts.png"), full_page=True)
    return ids


async def _unlabelled(page: Page) -> list[str]:
    """Form controls without a label (the pages promise every control has one)."""
    result: list[str] = await page.evaluate("""() => [...document.querySelectorAll(
        "input, select, textarea")].filter((e) => !e.labels.length
        && !e.getAttribute("aria-label")).map((e) => e.id || e.outerHTML)""")
    return result


async def _add_option(page: Page, node: str, digit: str, kind: str) -> None:
    await page.fill(f"#n-{node}-options-key", digit)
    await page.select_option(f"#n-{node}-options-new", f"new:{kind}")
    await page.click(f"#n-{node}-options-add")


async def _build_ivr(page: Page, served: Served) -> int:
    await _section(page, "ivr")
    flow = await _create(page, "ivr", {"name": "Main line"}, "Main line")
    await page.wait_for_selector("#ivr-tree .node[data-node='main']")
    await page.select_option("#n-main-prompt", "welcome")
    await page.select_option("#n-main-slot-on_fail", "new:hangup")
    await _add_option(page, "main", "1", "queue")
    await page.select_option("#n-queue_1-queue", "support")
    await _add_option(page, "main", "2", "menu")
    # The second level: a billing menu under digit 2, with its own options.
    await page.wait_for_selector(".node[data-node='main'] .slot .node[data-node='menu_1']")
    await page.select_option("#n-menu_1-prompt", "billing_menu")
    await _add_option(page, "menu_1", "1", "voicemail")
    await page.select_option("#n-voicemail_1-queue", "support")
    await page.select_option("#n-menu_1-slot-on_fail", "hangup_1")
    await page.click("#ivr-save")
    await page.wait_for_selector("#ivr-versions tr[data-version='1']")
    await _notice(page, "version 1")
    version = await served.call("adam", "GET", f"/api/v1/ivr-flows/{flow}/versions/1")
    assert version["document"] == {"start": "main", "language": "en", "nodes": {
        "main": {"type": "menu", "prompt": "welcome", "on_fail": "hangup_1",
                 "options": {"1": "queue_1", "2": "menu_1"}},
        "hangup_1": {"type": "hangup"},
        "queue_1": {"type": "queue", "queue": "support"},
        "menu_1": {"type": "menu", "prompt": "billing_menu", "on_fail": "hangup_1",
                   "options": {"1": "voicemail_1"}},
        "voicemail_1": {"type": "voicemail", "queue": "support"}}}
    await page.click("#ivr-versions button[aria-label='Activate version 1']")
    await page.wait_for_selector("#ivr-versions tr[data-version='1'][data-active='true']")
    await page.wait_for_selector(f"#list-ivr tr[data-id='{flow}'] "
                                 "td[data-field='active_version_id']:has-text('yes')")
    await page.screenshot(path=str(SHOTS / "admin-2-ivr-builder.png"), full_page=True)
    assert await _unlabelled(page) == []
    return flow


async def _invalid_ivr_is_refused(page: Page, served: Served, flow: int) -> None:
    # A transfer without a number: the API refuses it and names the node and field.
    await _add_option(page, "menu_1", "0", "transfer")
    await page.wait_for_selector(".node[data-node='transfer_1']")
    await page.click("#ivr-save")
    error = await page.wait_for_selector("#n-transfer_1-error")
    assert error is not None
    assert await error.get_attribute("data-error-id") == "request.invalid_body"
    assert await error.get_attribute("data-field") == "document.nodes.transfer_1.number"
    assert "is required" in await error.inner_text()
    assert await page.get_attribute("#error", "data-error-id") == "request.invalid_body"
    assert "request.invalid_body" in await page.inner_text("#error")
    assert await page.locator(".node.invalid").count() == 1
    await page.screenshot(path=str(SHOTS / "admin-3-ivr-refused.png"), full_page=True)
    versions = await served.call("adam", "GET", f"/api/v1/ivr-flows/{flow}/versions")
    assert versions["total"] == 1
    # Fixed in the builder, it saves as version 2.
    await page.fill("#n-transfer_1-number", "+15550199")
    await page.press("#n-transfer_1-number", "Tab")
    await page.click("#ivr-save")
    await page.wait_for_selector("#ivr-versions tr[data-version='2']")
    assert await page.locator(".node.invalid").count() == 0


async def _lists_page_and_refusals_show(page: Page, served: Served, ids: dict[str, int]) -> None:
    for i in range(25):
        await served.call("adam", "POST", "/api/v1/pause-reasons",
                          {"code": f"r{i:02d}", "label": f"Reason {i}"}, status=201)
    await _section(page, "pause-reasons")
    await page.select_option("#pause-reasons-size", "10")
    await page.wait_for_selector("#pause-reasons-range:has-text('1–10 of 25')")
    await page.click("#pause-reasons-next")
    await page.wait_for_selector("#pause-reasons-range:has-text('11–20 of 25')")
    assert await page.locator("#list-pause-reasons tbody tr").count() == 10
    await page.click("#pause-reasons-next")
    await page.wait_for_selector("#pause-reasons-range:has-text('21–25 of 25')")
    assert await page.is_disabled("#pause-reasons-next")
    await page.click("#list-pause-reasons button[aria-label='Delete pause reason r24']")
    await page.wait_for_selector("#pause-reasons-range:has-text('21–24 of 24')")

    # The queue still takes the DID's calls: the API refuses the delete and the page says why.
    await _section(page, "queues")
    await page.click("#list-queues button[aria-label='Delete queue support']")
    await page.wait_for_selector("#error:not([hidden])")
    assert await page.get_attribute("#error", "data-error-id") == "resource.conflict"
    assert await page.locator("#list-queues tr[data-name='support']").count() == 1
    await served.call("adam", "GET", f"/api/v1/queues/{ids['queue']}")


async def test_tenant_admin_builds_a_center_in_the_admin_pages(
        served: Served, browser: Browser) -> None:
    problems: list[str] = []
    page = await _page(browser, problems)
    await _login(page, served.url, "adam")
    await page.wait_for_selector("#view[data-section='queues'] #list-queues thead")
    assert await page.inner_text("#who") == "adam · admin · acme"
    await _section(page, "skills")
    ids = await _build_center(page, served)
    flow = await _build_ivr(page, served)
    await _invalid_ivr_is_refused(page, served, flow)
    await _lists_page_and_refusals_show(page, served, ids)
    await page.screenshot(path=str(SHOTS / "admin-4-queues.png"), full_page=True)
    assert not problems, problems


async def test_an_agent_is_not_allowed(served: Served, browser: Browser) -> None:
    problems: list[str] = []
    page = await _page(browser, problems)
    await _login(page, served.url, "ann")
    await page.wait_for_selector("#denied:not([hidden])")
    assert "Not allowed" in await page.inner_text("#denied")
    assert "agent" in await page.inner_text("#denied-text")
    assert await page.is_hidden("#nav") and await page.is_hidden("#view")
    await page.screenshot(path=str(SHOTS / "admin-5-agent-not-allowed.png"), full_page=True)
    # The pages' data, asked for with her token from her page: refused by the API.
    refused = await page.evaluate("""async () => {
        const out = {};
        for (const [method, path] of [["GET", "/api/v1/agents"], ["GET", "/api/v1/seat-configs"],
                                      ["GET", "/api/v1/dids"], ["GET", "/api/v1/ivr-flows"],
                                      ["POST", "/api/v1/queues"]]) {
          try { await Live.api(method, path, method === "POST" ? {name: "x"} : undefined);
                out[path] = "allowed"; }
          catch (err) { out[path] = `${err.status} ${err.id}`; }
        }
        return out;
    }""")
    assert refused == dict.fromkeys(("/api/v1/agents", "/api/v1/seat-configs", "/api/v1/dids",
                                     "/api/v1/ivr-flows", "/api/v1/queues"),
                                    "403 permission.denied")
    assert not problems, problems


async def test_the_operator_picks_the_tenant(served: Served, browser: Browser) -> None:
    problems: list[str] = []
    page = await _page(browser, problems)
    await _login(page, served.url, "root", tenant="")
    await page.wait_for_selector("#view[data-section='queues'] #list-queues thead")
    assert await page.inner_text("#who") == "root · super_admin · operator"
    assert await page.input_value("#tenant") == "acme"
    assert await page.locator("#list-queues tbody tr").count() == 0
    await page.select_option("#tenant", "globex")
    await page.wait_for_selector("#list-queues tr[data-name='globex-secret']")
    await _section(page, "agents")
    assert await page.locator("#list-agents tr[data-name='Gina']").count() == 1
    assert await page.locator("#list-agents tr[data-name='Ann']").count() == 0
    # What the operator creates lands in the tenant picked.
    await _section(page, "skills")
    await _create(page, "skills", {"name": "globex-only"}, "globex-only")
    root = await served.http.post(served.url + "/api/v1/auth/login", json={
        "tenant": None, "username": "root", "password": PASSWORD})
    served.tokens["root"] = (await root.json())["token"]
    skills = await served.call("root", "GET", "/api/v1/skills?tenant=globex")
    assert [s["name"] for s in skills["items"]] == ["globex-only"]
    assert (await served.call("adam", "GET", "/api/v1/skills"))["total"] == 0
    # Logged out elsewhere (every token of the user ends): the page asks for a login again.
    await served.call("root", "POST", "/api/v1/auth/logout", status=204)
    await page.click("#nav-queues")
    await page.wait_for_selector("#login:not([hidden])")
    assert await page.get_attribute("#error", "data-error-id") == "auth.token_revoked"
    assert await page.is_hidden("#view")
    await page.fill("#login-user", "root")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector(
        "#view[data-section='queues'] #list-queues tr[data-name='globex-secret']")
    assert not problems, problems
