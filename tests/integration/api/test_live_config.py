"""Configuration edits made through the API reach the running call controller within a
second, without a restart: the ACD decides by a queue's new strategy and skills, a new
number reaches its IVR flow, a new flow version serves new calls while a call already in
the IVR keeps its version, and a refused edit changes nothing that runs.

The real application starts its real controller (SIP socket, RTPengine, ACD engine);
callers send their INVITEs straight to the controller.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from control_plane.acd.commands import DecisionRecord
from control_plane.acd.events import CallArrived
from control_plane.acd.model import AgentRef, AgentState, CallRef, QueueRef
from control_plane.app import LIVE_CONFIG
from control_plane.calls.session import CallSession, Phase
from control_plane.db.engine import make_engine
from control_plane.db.models import Queue
from control_plane.sipstack.peer import Peer
from tests.callers import Caller, until
from tests.integration.api.live_stack import LiveCenter, live_center, media_stack
from tests.integration.api.outage_support import SqliteOutage
from tests.support import seat_ip

__all__ = ["live_center", "media_stack"]

LIVE_WITHIN = 1.0  # seconds from the API's answer to the running controller


async def _ids(center: LiveCenter, path: str, key: str = "name") -> dict[str, int]:
    page = await center.api("GET", f"{path}?limit=200")
    return {row[key]: row["id"] for row in page["items"]}


async def _ready(center: LiveCenter, *agents: int) -> None:
    # Presence as the registrar would report it: every seat of the center is registered.
    center.service.controller.seats_changed(frozenset(
        f"{a.seat}@cc.local" for a in center.service.center.agents))
    for agent in agents:
        await center.api("POST", f"/api/v1/agents/{agent}/state", {"state": "ready"})


async def _live(fetch: Any, why: str) -> float:
    """Seconds until ``fetch()`` holds (at most LIVE_WITHIN)."""
    started = time.monotonic()
    await until(fetch, within=LIVE_WITHIN, why=why)
    return time.monotonic() - started


def _decide(center: LiveCenter, call: str, queue: str) -> DecisionRecord:
    decisions: list[DecisionRecord] = []
    center.service.on_decision = decisions.append
    try:
        driver = center.service.driver
        assert driver is not None
        driver.apply(CallArrived(call=CallRef("acme", call), queue=queue))
    finally:
        center.service.on_decision = None
    assert decisions, f"no decision for {call}"
    return decisions[0]


async def test_queue_strategy_and_skills_edits_drive_the_next_decision(
        live_center: LiveCenter) -> None:
    center = live_center
    agents = await _ids(center, "/api/v1/agents")
    queues = await _ids(center, "/api/v1/queues")
    skills = await _ids(center, "/api/v1/skills")
    await _ready(center, agents["bob"], agents["alice"], agents["dave"])
    first = _decide(center, "c1", "support")
    assert first.rule == "top-down" and first.agents == (AgentRef("acme", str(agents["bob"])),)

    await center.api("PATCH", f"/api/v1/queues/{queues['support']}",
                     {"strategy": "fewest_calls"})
    ref = QueueRef("acme", "support")
    engine = center.service.driver.engine  # type: ignore[union-attr]
    await _live(lambda: engine.state.queues[ref].config.strategy == "fewest-calls",
                "strategy edit")
    second = _decide(center, "c2", "support")
    assert second.rule == "fewest-calls"
    # The queue now needs sales, not tech: only dave (sales 2) serves it.
    await center.api("PUT", f"/api/v1/queues/{queues['support']}/skills/{skills['sales']}",
                     {"min_proficiency": 2})
    await center.api("DELETE", f"/api/v1/queues/{queues['support']}/skills/{skills['tech']}")
    await _live(lambda: [r.skill for r in engine.state.queues[ref].config.skills] == ["sales"],
                "skills edit")
    third = _decide(center, "c3", "support")
    assert third.agents == (AgentRef("acme", str(agents["dave"])),)
    # The earlier calls kept their places: still in the ACD, still the same calls.
    assert engine.call_state(CallRef("acme", "c1")) is not None
    assert engine.call_state(CallRef("acme", "c2")) is not None


async def test_queue_create_sla_overflow_delete_and_pause_reasons(
        live_center: LiveCenter) -> None:
    center = live_center
    skills = await _ids(center, "/api/v1/skills")
    engine = center.service.driver.engine  # type: ignore[union-attr]
    ref = QueueRef("acme", "billing")
    queue = await center.api("POST", "/api/v1/queues", {"name": "billing",
                                                        "strategy": "round_robin"})
    await center.api("PUT", f"/api/v1/queues/{queue['id']}/skills/{skills['sales']}", {})
    await _live(lambda: ref in engine.state.queues, "queue create")
    assert engine.state.queues[ref].config.strategy == "round-robin"
    await center.api("PATCH", f"/api/v1/queues/{queue['id']}", {
        "sla_target_seconds": 45, "sla_target_percent": 90, "max_wait_seconds": 120,
        "overflow_action": "voicemail"})
    await _live(lambda: engine.state.queues[ref].config.service_level.threshold_s == 45,
                "SLA edit")
    config = engine.state.queues[ref].config
    assert config.service_level.target == 0.9
    assert config.overflow.max_wait_s == 120
    assert config.overflow.on_max_wait is not None
    assert config.overflow.on_max_wait.kind.value == "voicemail"
    # A number may send callers to it now; deleted, it reaches no new caller.
    assert ("acme", "billing") in center.service.center.queues
    await center.api("DELETE", f"/api/v1/queues/{queue['id']}")
    await _live(lambda: ("acme", "billing") not in center.service.center.queues,
                "queue delete")
    # A new pause reason: the ACD accepts it at once.
    await center.api("POST", "/api/v1/pause-reasons", {"code": "coaching",
                                                       "label": "Coaching"})
    await _live(lambda: "coaching" in engine.state.tenants["acme"].config.pause_reasons,
                "pause reason")
    agents = await _ids(center, "/api/v1/agents")
    await _ready(center, agents["dave"])
    status = await center.api("POST", f"/api/v1/agents/{agents['dave']}/state",
                              {"state": "paused", "reason": "coaching"})
    assert status["state"] == "paused"


async def test_agent_skill_edit_reprofiles_a_ready_agent(live_center: LiveCenter) -> None:
    center = live_center
    agents = await _ids(center, "/api/v1/agents")
    skills = await _ids(center, "/api/v1/skills")
    await _ready(center, agents["alice"])
    engine = center.service.driver.engine  # type: ignore[union-attr]
    alice = AgentRef("acme", str(agents["alice"]))
    tenant = engine.state.tenants["acme"]
    await center.api("PUT", f"/api/v1/agents/{agents['alice']}/skills/{skills['sales']}",
                     {"proficiency": 4})
    await _live(lambda: engine.state.agents[alice].skills.get(
        tenant.skill_ids["sales"]) == 4, "agent skill edit")
    assert engine.agent_state(alice) is AgentState.READY
    # A supervisor's whole-set change (a bulk DELETE, then the new rows) reaches the
    # controller's own view of the agent too.
    await center.api("PUT", f"/api/v1/agents/{agents['alice']}/skills",
                     {"skills": [{"skill_id": skills["tech"], "proficiency": 2}]})
    await _live(lambda: center.service.center.agent(  # type: ignore[union-attr]
        "acme", str(agents["alice"])).profile.skills == {"tech": 2}, "skill set")
    await center.api("PUT", f"/api/v1/agents/{agents['alice']}/skills", {"skills": []})
    await _live(lambda: center.service.center.agent(  # type: ignore[union-attr]
        "acme", str(agents["alice"])).profile.skills == {}, "skills cleared")
    assert engine.state.agents[alice].skills == {}
    # A new agent is known to the controller (their seat rings when the ACD offers).
    created = await center.api("POST", "/api/v1/agents", {"name": "Eve", "extension": "eve-7"})
    await _live(lambda: center.service.center.agent("acme", str(created["id"])),
                "agent create")
    assert center.service.center.agent("acme", str(created["id"])).seat == "eve-7"  # type: ignore[union-attr]
    await center.api("DELETE", f"/api/v1/agents/{created['id']}")
    await _live(lambda: center.service.center.agent("acme", str(created["id"])) is None,
                "agent delete")


async def _publish(center: LiveCenter, flow: int, document: dict[str, Any]) -> int:
    version = await center.api("POST", f"/api/v1/ivr-flows/{flow}/versions",
                               {"document": document})
    await center.api("POST", f"/api/v1/ivr-flows/{flow}/versions/{version['version']}/activate")
    return int(version["version"])


def _menu(on_fail: str, timeout_s: float) -> dict[str, Any]:
    """A flow whose caller waits ``timeout_s`` in a menu, then goes to queue ``on_fail``."""
    return {"start": "menu", "language": "en", "nodes": {
        "menu": {"type": "menu", "prompt": "main_menu", "options": {"1": "q"},
                 "timeout_s": timeout_s, "retries": 0, "on_fail": "q"},
        "q": {"type": "queue", "queue": on_fail}}}


async def _session(center: LiveCenter, caller: Caller, number: str) -> CallSession:
    cp = center.topo.control_plane
    answer = await caller.call(number, "cc.local", Peer(cp.address, cp.sip_port))
    assert answer.status == 200, answer
    return center.service.controller.sessions[answer.call_id]


async def test_new_number_and_flow_versions_for_new_calls_only(
        live_center: LiveCenter) -> None:
    center = live_center
    for name in ("main_menu", "welcome"):
        await center.api("POST", "/api/v1/prompts",
                         {"name": name, "language": "en", "file_path": f"en/{name}.wav"})
    flow = await center.api("POST", "/api/v1/ivr-flows", {"name": "front"})
    await _publish(center, flow["id"], _menu("support", timeout_s=2))
    did = await center.api("POST", "/api/v1/dids", {"number": "+4008000077"})
    await center.api("PUT", f"/api/v1/dids/{did['id']}/route",
                     {"kind": "ivr", "target_id": flow["id"]})
    took = await _live(lambda: "4008000077" in center.service.center.routes, "new DID route")
    print(f"live configuration: DID route reached the controller {took * 1000:.0f} ms "
          "after the API answered")

    first = await Caller.open(seat_ip(center.topo, 171), rtp_port=40100)
    second = await Caller.open(seat_ip(center.topo, 172), rtp_port=40102)
    try:
        old = await _session(center, first, "4008000077")
        await until(lambda: old.record.flow == "front", within=5, why=old.phase)
        assert old.phase is Phase.IVR
        # Version 2 sends callers to sales at once; the caller in the menu keeps version 1.
        await _publish(center, flow["id"], {"start": "q", "language": "en", "nodes": {
            "q": {"type": "queue", "queue": "sales"}}})
        await _live(lambda: "menu" not in center.service.center.flows[("acme", "front")].nodes,
                    "new IVR version")
        new = await _session(center, second, "+4008000077")
        await until(lambda: new.phase is Phase.QUEUED, within=5, why=new.phase)
        assert new.record.queue == "sales"
        assert old.phase is Phase.IVR  # still in version 1's menu
        # The menu prompt plays, then its timeout runs out: version 1's queue.
        await until(lambda: old.phase is Phase.QUEUED, within=30, why=old.phase)
        assert old.record.queue == "support"
        # A queued caller keeps the call and the place while their queue is edited.
        engine = center.service.driver.engine  # type: ignore[union-attr]
        place = engine.position(old.ref)
        assert place is not None
        queues = await _ids(center, "/api/v1/queues")
        await center.api("PATCH", f"/api/v1/queues/{queues['support']}",
                         {"strategy": "ring_all", "sla_target_seconds": 30})
        await _live(lambda: engine.state.queues[QueueRef("acme", "support")]
                    .config.strategy == "ring-all", "queue edit under a queued call")
        assert (old.phase, engine.position(old.ref)) == (Phase.QUEUED, place)
        assert first.connected
        await first.hang_up()
        await second.hang_up()
        await until(lambda: old.phase is Phase.ENDED and new.phase is Phase.ENDED, within=5,
                    why="hangup")
    finally:
        await first.close()
        await second.close()
    # The number unrouted: new calls to it are refused.
    await center.api("DELETE", f"/api/v1/dids/{did['id']}/route")
    await _live(lambda: "4008000077" not in center.service.center.routes, "route removed")
    # Straight to a queue's voicemail: a one-node flow of the controller's own.
    await center.api("PUT", f"/api/v1/dids/{did['id']}/route",
                     {"kind": "voicemail", "target_id": queues["support"]})
    await _live(lambda: "4008000077" in center.service.center.routes, "voicemail route")
    route = center.service.center.routes["+4008000077"]
    assert route.flow == "voicemail:support"
    assert center.service.center.flows[("acme", route.flow)].node("box").type == "voicemail"
    # To one agent: no call path for it here, so the number is not answered (404).
    agents = await _ids(center, "/api/v1/agents")
    await center.api("PUT", f"/api/v1/dids/{did['id']}/route",
                     {"kind": "agent", "target_id": agents["bob"]})
    await _live(lambda: "4008000077" not in center.service.center.routes, "agent route")


async def test_refused_edits_change_nothing_that_runs(live_center: LiveCenter) -> None:
    center = live_center
    queues = await _ids(center, "/api/v1/queues")
    engine = center.service.driver.engine  # type: ignore[union-attr]
    before = engine.state.queues[QueueRef("acme", "support")].config
    bad = await center.api("PATCH", f"/api/v1/queues/{queues['support']}",
                           {"strategy": "loudest-first"}, status=400)
    assert bad["error"]["id"] == "request.invalid_body"
    assert bad["error"]["details"]["field"] == "strategy"
    flow = await center.api("POST", "/api/v1/ivr-flows", {"name": "broken"})
    bad = await center.api("POST", f"/api/v1/ivr-flows/{flow['id']}/versions", {
        "document": {"start": "q", "language": "en",
                     "nodes": {"q": {"type": "queue", "queue": "nowhere"}}}}, status=400)
    assert bad["error"]["details"]["field"] == "document.nodes.q.queue"
    await asyncio.sleep(0.3)  # a notification, had one been sent, would have landed
    assert engine.state.queues[QueueRef("acme", "support")].config == before
    assert ("acme", "broken") not in center.service.center.flows


async def test_a_change_read_while_the_database_is_away_applies_when_it_returns(
        live_center: LiveCenter) -> None:
    center = live_center
    live = center.app[LIVE_CONFIG]
    ref = QueueRef("acme", "support")
    engine = center.service.driver.engine  # type: ignore[union-attr]
    assert engine.state.queues[ref].config.strategy == "top-down"
    # Another writer (a second replica's API, say) commits; this process hears nothing.
    db = make_engine(f"sqlite:///{center.db_dir / 'live.sqlite'}")
    with Session(db) as s, s.begin():
        s.execute(update(Queue).where(Queue.tenant == "acme", Queue.name == "support")
                  .values(strategy="random"))
    db.dispose()
    outage = SqliteOutage(center.db_dir)
    outage.down()
    try:
        failures = live.failures
        live.changed(["acme"])
        await until(lambda: live.failures > failures, within=5, why="a failed read")
        assert engine.state.queues[ref].config.strategy == "top-down"  # what runs stays
        status = (await center.client.get("/api/v1/queues", headers={
            "Authorization": f"Bearer {center.token}"})).status
        assert status == 503
    finally:
        outage.up()
    # Read again by itself once the database is back: the committed change applies.
    await until(lambda: engine.state.queues[ref].config.strategy == "random", within=5,
                why="retry after the outage")
    assert center.app[LIVE_CONFIG].applied >= 1


async def test_an_edit_by_another_process_arrives_by_the_periodic_read(
        live_center: LiveCenter) -> None:
    center = live_center
    live = center.app[LIVE_CONFIG]
    ref = QueueRef("acme", "sales")
    engine = center.service.driver.engine  # type: ignore[union-attr]
    db = make_engine(f"sqlite:///{center.db_dir / 'live.sqlite'}")
    with Session(db) as s, s.begin():  # no notification reaches this process
        s.execute(update(Queue).where(Queue.tenant == "acme", Queue.name == "sales")
                  .values(ring_timeout_seconds=7))
    db.dispose()
    await until(lambda: engine.state.queues[ref].config.ring_timeout_s == 7,
                within=live.resync_seconds + 2, why="periodic re-read")
