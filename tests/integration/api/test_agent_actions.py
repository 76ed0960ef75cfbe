"""Agent and supervisor actions through the real application, reaching a real ACD engine
(driven by the call controller's AcdDriver on the test's loop), and the live statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.orm import Session

from control_plane.acd.commands import Command, ConnectCall, OfferCall
from control_plane.acd.engine import Engine
from control_plane.acd.events import CallArrived, CallEnded, OfferAccepted
from control_plane.acd.model import AgentRef, CallRef
from control_plane.api.agent_acd_config import acd_events
from control_plane.api.agent_engine_desk import attach_engine
from control_plane.api.agent_live import AgentLedger
from control_plane.api.agent_ports import Disposition
from control_plane.calls.acd_driver import AcdDriver
from control_plane.db.engine import make_engine
from control_plane.db.repos.acd import load_acd_config
from tests.integration.api import test_config_support as support
from tests.integration.api.conftest import Center
from tests.integration.api.test_config_support import Client, as_user

start_center = support.start_center
postgres_server = support.postgres_server


@dataclass
class Acd:
    """One engine behind the desk, and everything it emitted."""

    engine: Engine = field(default_factory=Engine)
    commands: list[Command] = field(default_factory=list)
    dispositions: list[Disposition] = field(default_factory=list)
    driver: AcdDriver = field(init=False)
    ledger: AgentLedger = field(init=False)

    def __post_init__(self) -> None:
        def sink(command: Command) -> None:
            self.commands.append(command)
            self.ledger.observe(command)
        self.driver = AcdDriver(self.engine, on_command=sink)
        self.ledger = AgentLedger(self.engine, self.driver.now)

    def attach(self, app: web.Application) -> None:
        attach_engine(app, self.driver, self.ledger, on_disposition=self.dispositions.append)

    def sync(self, center: Center, tenant: str = "acme") -> None:
        """Load the tenant's configuration into the engine (the composition root's job)."""
        engine = make_engine(center.db_url)
        try:
            with Session(engine) as s:
                config = load_acd_config(s, tenant)
        finally:
            engine.dispose()
        for event in acd_events(config):
            assert self.driver.apply(event).ok

    def offers(self, agent: int) -> list[OfferCall]:
        return [c for c in self.commands
                if isinstance(c, OfferCall) and c.agent.agent == str(agent)]


async def _ok(client: Client, method: str, path: str, json: Any = None,
              **params: Any) -> Any:
    status, body = await client.call(method, path, json, **params)
    assert status in (200, 201, 204), (method, path, status, body)
    return body


async def _refused(client: Client, path: str, json: Any, refusal: str) -> None:
    status, body = await client.call("POST", path, json)
    assert (status, body["error"]["id"], body["error"]["details"]["refusal"]) == (
        409, "agent.action_refused", refusal), body


@pytest.fixture
async def desk(start_center: support.Starter) -> tuple[Center, Acd, dict[str, int]]:
    """acme configured: skills zh and en, queues sales (zh, 30 s wrap-up) and support
    (zh), pause reason lunch; Ann speaks zh (3) and serves sales."""
    acd = Acd()
    center = await start_center("sqlite", acd.attach)
    adam = await as_user(center, "adam")
    ids = {"ann": center.users["ann"].agent_id or 0, "al": center.users["al"].agent_id or 0}
    for name in ("zh", "en"):
        ids[name] = (await _ok(adam, "POST", "/api/v1/skills", {"name": name}))["id"]
    for name, wrap in (("sales", 30), ("support", 0)):
        ids[name] = (await _ok(adam, "POST", "/api/v1/queues", {
            "name": name, "wrap_up_seconds": wrap, "sla_target_seconds": 20}))["id"]
        await _ok(adam, "PUT", f"/api/v1/queues/{ids[name]}/skills/{ids['zh']}", {})
    ids["english"] = (await _ok(adam, "POST", "/api/v1/queues", {"name": "english"}))["id"]
    await _ok(adam, "PUT", f"/api/v1/queues/{ids['english']}/skills/{ids['en']}", {})
    await _ok(adam, "POST", "/api/v1/pause-reasons", {"code": "lunch", "label": "Lunch"})
    await _ok(adam, "PUT", f"/api/v1/agents/{ids['ann']}/skills/{ids['zh']}",
              {"proficiency": 3})
    await _ok(adam, "PUT", f"/api/v1/queues/{ids['sales']}/members/{ids['ann']}",
              {"position": 2, "weight": 3})
    acd.sync(center)
    return center, acd, ids


async def test_an_agents_day(desk: tuple[Center, Acd, dict[str, int]]) -> None:
    center, acd, ids = desk
    ann = await as_user(center, "ann")
    assert (await _ok(ann, "GET", "/api/v1/agent/status"))["state"] == "logged_out"
    status, body = await ann.call("POST", "/api/v1/agent/login", {"pause_reason": "nap"})
    assert (status, body["error"]["details"]["field"]) == (400, "reason")
    assert (await _ok(ann, "POST", "/api/v1/agent/login", {}))["state"] == "ready"
    await _refused(ann, "/api/v1/agent/login", {}, "already_logged_in")
    await _refused(ann, "/api/v1/agent/wrap-up/end", None, "not_in_wrap_up")
    status, body = await ann.call("POST", "/api/v1/agent/pause", {"reason": "Lunch!"})
    assert (status, body["error"]["details"]["field"]) == (400, "reason")
    paused = await _ok(ann, "POST", "/api/v1/agent/pause", {"reason": "lunch"})
    assert (paused["state"], paused["pause_reason"]) == ("paused", "lunch")
    assert (await _ok(ann, "POST", "/api/v1/agent/ready"))["state"] == "ready"

    # A caller arrives: Ann, ready and skilled, is offered the call and answers.
    call, agent = CallRef("acme", "call-1@edge"), AgentRef("acme", str(ids["ann"]))
    acd.driver.apply(CallArrived(call, queue="sales", caller="+8613800138000"))
    assert [o.call for o in acd.offers(ids["ann"])] == [call]
    assert acd.driver.apply(OfferAccepted(call, agent)).ok
    assert any(isinstance(c, ConnectCall) for c in acd.commands)
    await _refused(ann, "/api/v1/agent/logout", None, "busy")
    during = await _ok(ann, "POST", "/api/v1/agent/pause", {"reason": "lunch"})
    assert (during["state"], during["note"]) == ("on_call", "pause takes effect after the call")
    assert acd.driver.apply(CallEnded(call)).ok
    assert (await _ok(ann, "GET", "/api/v1/agent/status"))["state"] == "wrap_up"

    # Disposition: only on her own call; the notes are filed on the customer.
    cust = (await _ok(ann, "POST", "/api/v1/customers", {"name": "Wang"}))["id"]
    done = await _ok(ann, "POST", "/api/v1/agent/calls/call-1@edge/disposition",
                     {"disposition": "sale", "notes": "bought 2", "customer_id": cust})
    assert done["state"] == "wrap_up"
    assert [(d.call_id, d.code, d.notes) for d in acd.dispositions] == [
        ("call-1@edge", "sale", "bought 2")]
    notes = await _ok(ann, "GET", "/api/v1/notes", call_id="call-1@edge")
    assert [n["body"] for n in notes["items"]] == ["[sale] bought 2"]
    await _refused(ann, "/api/v1/agent/calls/someone-else@edge/disposition",
                   {"disposition": "sale"}, "not_your_call")
    assert len(acd.dispositions) == 1

    # Ending wrap-up starts the pause she asked for during the call.
    after = await _ok(ann, "POST", "/api/v1/agent/wrap-up/end")
    assert (after["state"], after["pause_reason"]) == ("paused", "lunch")
    sue = await as_user(center, "sue")
    stats = await _ok(sue, "GET", f"/api/v1/stats/agents/{ids['ann']}")
    assert (stats["state"], stats["calls_handled"], stats["queues"]) == (
        "paused", 1, ["sales", "support"])
    assert stats["seconds_in_state"] is not None and stats["seconds_in_state"] < 5
    queue = await _ok(sue, "GET", f"/api/v1/stats/queues/{ids['sales']}")
    assert (queue["waiting"], queue["answered"], queue["answered_in_target"],
            queue["service_level"], queue["agents"]) == (0, 1, 1, 1.0, {"paused": 1})
    assert (await _ok(ann, "POST", "/api/v1/agent/ready"))["state"] == "ready"
    assert (await _ok(ann, "POST", "/api/v1/agent/logout"))["state"] == "logged_out"
    await _refused(ann, "/api/v1/agent/ready", None, "not_logged_in")


async def test_live_queue_figures(desk: tuple[Center, Acd, dict[str, int]]) -> None:
    center, acd, ids = desk
    ana = await as_user(center, "ana")
    for i in range(3):
        acd.driver.apply(CallArrived(CallRef("acme", f"w{i}"), queue="support"))
    listed = await _ok(ana, "GET", "/api/v1/stats/queues")
    support_q = next(q for q in listed["queues"] if q["queue"] == "support")
    assert (support_q["queue_id"], support_q["waiting"], support_q["agents"]) == (
        ids["support"], 3, {})
    assert support_q["oldest_wait_seconds"] >= 0 and support_q["service_level"] is None
    ann = await as_user(center, "ann")
    await _ok(ann, "POST", "/api/v1/agent/login", {})
    # Ann serves support too (zh): the oldest caller is offered to her at once.
    one = await _ok(ana, "GET", f"/api/v1/stats/queues/{ids['support']}")
    assert (one["waiting"], one["agents"]) == (2, {"offered": 1})
    status, body = await ann.call("GET", f"/api/v1/stats/agents/{ids['al']}")
    assert (status, body["error"]["details"]["reason"]) == (403, "own_resources_only")
    assert (await _ok(ann, "GET", f"/api/v1/stats/agents/{ids['ann']}"))["state"] == "offered"


async def test_supervisors_steer_agents(desk: tuple[Center, Acd, dict[str, int]]) -> None:
    center, acd, ids = desk
    sue, lee = await as_user(center, "sue"), await as_user(center, "lee")
    ann_state = f"/api/v1/agents/{ids['ann']}/state"
    assert (await _ok(sue, "POST", ann_state, {"state": "ready"}))["state"] == "ready"
    status, body = await sue.call("POST", ann_state, {"state": "paused"})
    assert (status, body["error"]["details"]["field"]) == (400, "reason")
    forced = await _ok(lee, "POST", ann_state, {"state": "paused", "reason": "lunch"})
    assert forced["state"] == "paused"
    status, body = await lee.call("POST", f"/api/v1/agents/{ids['al']}/state",
                                  {"state": "ready"})
    assert (status, body["error"]["details"]["reason"]) == (403, "own_team_only")
    gina = await as_user(center, "gina")
    status, _ = await gina.call("POST", ann_state, {"state": "ready"})
    assert status == 404

    # Move Ann from sales to support: membership moves, the ACD re-reads her profile.
    moved = await _ok(sue, "POST", f"/api/v1/agents/{ids['ann']}/move",
                      {"from_queue_id": ids["sales"], "to_queue_id": ids["support"]})
    assert (moved["member"]["queue_id"], moved["member"]["position"],
            moved["member"]["weight"]) == (ids["support"], 2, 3)
    assert moved["live"] == {"applied": True, "state": "paused", "refusal": None,
                             "reason": None}
    members = await _ok(sue, "GET", f"/api/v1/queues/{ids['sales']}/members")
    assert members["count"] == 0
    status, body = await sue.call("POST", f"/api/v1/agents/{ids['ann']}/move",
                                  {"from_queue_id": ids["sales"], "to_queue_id": ids["support"]})
    assert status == 404, body

    # Skills live: Ann learns English and, ready, takes the waiting English caller.
    acd.driver.apply(CallArrived(CallRef("acme", "en-1"), queue="english"))
    changed = await _ok(sue, "PUT", f"/api/v1/agents/{ids['ann']}/skills", {"skills": [
        {"skill_id": ids["zh"], "proficiency": 3}, {"skill_id": ids["en"], "proficiency": 4}]})
    assert sorted(s["proficiency"] for s in changed["skills"]) == [3, 4]
    assert changed["live"]["applied"] is True and changed["live"]["state"] == "paused"
    assert not acd.offers(ids["ann"])
    assert (await _ok(sue, "POST", ann_state, {"state": "ready"}))["state"] == "offered"
    assert [o.call.call for o in acd.offers(ids["ann"])] == ["en-1"]
    # Ringing: the change is saved but cannot apply now.
    busy = await _ok(sue, "PUT", f"/api/v1/agents/{ids['ann']}/skills",
                     {"skills": [{"skill_id": ids["en"], "proficiency": 5}]})
    assert (busy["live"]["applied"], busy["live"]["refusal"]) == (False, "busy")
    status, body = await sue.call("PUT", f"/api/v1/agents/{ids['ann']}/skills",
                                  {"skills": [{"skill_id": ids["en"], "proficiency": 6}]})
    assert (status, body["error"]["details"]["field"]) == (400, "skills[0].proficiency")
    # Logging a ringing agent out withdraws the offer: the caller waits for someone else.
    out = await _ok(sue, "POST", ann_state, {"state": "logged_out"})
    assert out["state"] == "logged_out"
    english = await _ok(sue, "GET", f"/api/v1/stats/queues/{ids['english']}")
    assert english["waiting"] == 1


async def test_without_an_acd_the_desk_is_unavailable(start_center: support.Starter) -> None:
    center = await start_center("sqlite")
    ann, sue = await as_user(center, "ann"), await as_user(center, "sue")
    for client, path in ((ann, "/api/v1/agent/ready"), (sue, "/api/v1/stats/queues")):
        method = "POST" if path.endswith("ready") else "GET"
        status, body = await client.call(method, path)
        assert (status, body["error"]["id"], body["error"]["details"]["dependency"]) == (
            503, "dependency.unavailable", "acd"), body


async def test_only_agents_have_a_desk(desk: tuple[Center, Acd, dict[str, int]]) -> None:
    center, _acd, _ids = desk
    adam = await as_user(center, "adam")
    status, body = await adam.call("POST", "/api/v1/agent/ready")
    assert (status, body["error"]["details"]["reason"]) == (403, "not_an_agent")
    ana = await as_user(center, "ana")
    status, body = await ana.call("POST", "/api/v1/agent/ready")
    assert (status, body["error"]["details"]["permission"]) == (403, "agents.state")
