"""The agent desk's call controls in headless Chromium (Debian's, driven by Playwright)
against the real application and call controller, real tiers, RTPengine and softphones:
the agent answers a ringing call from the page, holds it (the caller hears music), resumes,
sees a refused transfer's error with its id, and hangs up; the CDR says the agent hung up.
Screenshots are kept under var/artifacts/screenshots/."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.async_api import async_playwright

from control_plane.calls.session import Phase
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.e2e.desk_stack import PASSWORD, DeskApi, call_stack, desk_api
from tests.phones import AgentPhone
from tests.support import seat_ip

__all__ = ["call_stack", "desk_api"]  # the fixtures this module uses from desk_stack
SHOTS = Path(__file__).resolve().parents[2] / "var" / "artifacts" / "screenshots"


async def test_answer_hold_resume_and_hang_up_from_the_desk_page(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
    desk_api: DeskApi,
) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Debian chromium is missing: .ci/bootstrap.sh installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    alice = phones["alice-e2e"]
    alice.answer_calls = False  # she answers from the desk
    problems: list[str] = []
    caller = await Caller.open(seat_ip(call_stack.topo, 195))
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium,
                                               args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 1300, "height": 900})
            # A refused request logs "Failed to load resource": expected for the 400 below.
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    and not m.text.startswith("Failed to load resource") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(desk_api.url + "/desk/")
            await page.fill("#login-tenant", "acme")
            await page.fill("#login-user", "alice")
            await page.fill("#login-password", PASSWORD)
            await page.click("#login button[type=submit]")
            await page.wait_for_selector("#link[data-status=connected]", timeout=10_000)
            await page.wait_for_selector("#state[data-state=ready]", timeout=5000)
            assert await page.is_disabled("#call-hold")

            answer = await caller.call("4008000003", "cc.local", edge(call_stack, "county-1"))
            assert answer.status == 200
            session = controller.service.controller.sessions[answer.call_id]
            await page.wait_for_selector("#offer:not([hidden])", timeout=15_000)
            await until(lambda: any(leg.early is not None for leg in session.offers.values()),
                        within=5)
            await page.click("#offer-answer")
            await page.wait_for_selector("#call-info[data-hold=talking]", timeout=10_000)
            assert session.phase is Phase.CONNECTED and len(alice.talks) == 1
            assert await page.inner_text("#call-id") == session.call_id

            await page.click("#call-hold")
            await page.wait_for_selector("#call-info[data-hold=held]", timeout=5000)
            assert session.on_hold and await page.is_disabled("#call-hold")
            music = caller.rtp.received - caller.rtp.echoed
            await until(lambda: caller.rtp.received - caller.rtp.echoed - music > 20, within=5)
            await page.screenshot(path=str(SHOTS / "desk-controls-1-on-hold.png"),
                                  full_page=True)
            await page.click("#call-resume")
            await page.wait_for_selector("#call-info[data-hold=talking]", timeout=5000)
            assert not session.on_hold
            echoed = caller.rtp.echoed
            await until(lambda: caller.rtp.echoed - echoed > 20, within=5)

            await page.fill("#transfer-target", "nowhere")
            await page.click("#call-transfer")
            await page.wait_for_selector("#error:not([hidden])", timeout=5000)
            assert "calls.transfer_target_unknown" in await page.inner_text("#error")
            assert session.phase is Phase.CONNECTED  # the refused transfer changed nothing

            await page.click("#call-hangup")
            await page.wait_for_selector("#call-none:not([hidden])", timeout=10_000)
            await until(lambda: not caller.connected, within=5)
            await until(lambda: session in controller.finished, within=10)
            await page.wait_for_selector("#state[data-state=wrap_up], #state[data-state=ready]",
                                         timeout=5000)
            await page.screenshot(path=str(SHOTS / "desk-controls-2-hung-up.png"),
                                  full_page=True)
            await browser.close()
    finally:
        alice.answer_calls = True
        await caller.close()
    assert not problems, problems
    await controller.sink.flush()
    cdr = controller.rows("SELECT hangup_cause, agent FROM {db}.cdr FINAL "
                          f"WHERE call_id = '{session.call_id}'")
    assert cdr == [("agent", "1")]
