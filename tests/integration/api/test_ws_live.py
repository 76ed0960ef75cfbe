"""The live socket over a real WebSocket on the real application (SQLite, a real ACD engine
driven by the call controller's AcdDriver): authentication, tenant isolation, the screen
pop from CRM rows, wallboard updates from the pump, bad subscriptions, lag and heartbeats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.orm import Session

from control_plane.acd.commands import Command
from control_plane.acd.engine import Engine
from control_plane.acd.events import CallArrived
from control_plane.acd.model import CallRef
from control_plane.api.agent_acd_config import acd_events
from control_plane.api.agent_engine_desk import attach_engine
from control_plane.api.agent_live import AgentLedger
from control_plane.api.ws_protocol import WsConfig
from control_plane.api.ws_routes import WS_CONFIG
from control_plane.calls.acd_driver import AcdDriver
from control_plane.db.engine import make_engine
from control_plane.db.repos.acd import load_acd_config
from control_plane.events import BUS
from control_plane.events.bus import EventBus, EventKind, LiveEvent
from tests.integration.api import test_config_support as support
from tests.integration.api.conftest import Center
from tests.integration.api.test_config_support import Client, as_user

start_center = support.start_center
WS = "/api/v1/ws"
CALLER = "+8613800138000"


@dataclass
class Acd:
    """One engine behind the desk and the live figures."""

    engine: Engine = field(default_factory=Engine)
    commands: list[Command] = field(default_factory=list)
    driver: AcdDriver = field(init=False)
    ledger: AgentLedger = field(init=False)

    def __post_init__(self) -> None:
        def sink(command: Command) -> None:
            self.commands.append(command)
            self.ledger.observe(command)
        self.driver = AcdDriver(self.engine, on_command=sink)
        self.ledger = AgentLedger(self.engine, self.driver.now)

    def sync(self, center: Center, tenant: str = "acme") -> None:
        engine = make_engine(center.db_url)
        try:
            with Session(engine) as s:
                config = load_acd_config(s, tenant)
        finally:
            engine.dispose()
        for event in acd_events(config):
            assert self.driver.apply(event).ok


@dataclass
class Live:
    center: Center
    acd: Acd
    ids: dict[str, int]

    @property
    def bus(self) -> EventBus:
        app: web.Application | None = self.center.client.app
        assert app is not None
        bus: EventBus = app[BUS]
        return bus

    async def connect(self, username: str, *, protocol: bool = True) -> Socket:
        token = await self.center.login(username)
        kwargs: dict[str, Any] = (
            {"protocols": ("callcenter.v1", f"bearer.{token}")} if protocol
            else {"headers": {"Authorization": f"Bearer {token}"}})
        ws = await self.center.client.ws_connect(WS, **kwargs)
        sock = Socket(ws, token)
        hello = await sock.next()
        assert hello["type"] == "hello" and hello["user"] == username
        return sock


@dataclass
class Socket:
    ws: aiohttp.ClientWebSocketResponse
    token: str

    async def next(self, wait: float = 3.0) -> dict[str, Any]:
        msg = await self.ws.receive(wait)
        assert msg.type is aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
        data: dict[str, Any] = msg.json()
        return data

    async def until(self, pred: Callable[[dict[str, Any]], bool],
                    wait: float = 5.0) -> dict[str, Any]:
        """The first message matching ``pred`` (heartbeats and others skipped)."""
        async with asyncio.timeout(wait):
            while True:
                msg = await self.next(wait)
                if pred(msg):
                    return msg

    async def subscribe(self, channel: str, **extra: Any) -> dict[str, Any]:
        await self.ws.send_json({"type": "subscribe", "channel": channel, **extra})
        return await self.until(lambda m: m["type"] in ("subscribed", "error"))

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Events received within ``seconds`` (heartbeats left out)."""
        out: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(seconds):
                while True:
                    msg = await self.next(seconds)
                    if msg["type"] == "event":
                        out.append(msg)
        except TimeoutError:
            pass
        return out


def _prepare(acd: Acd, config: WsConfig) -> Callable[[web.Application], None]:
    def prepare(app: web.Application) -> None:
        attach_engine(app, acd.driver, acd.ledger, on_disposition=lambda _d: None)
        app[WS_CONFIG] = config
    return prepare


async def _ok(client: Client, method: str, path: str, json: Any = None) -> Any:
    status, body = await client.call(method, path, json)
    assert status in (200, 201, 204), (method, path, status, body)
    return body


async def _live(start_center: support.Starter, config: WsConfig) -> Live:
    acd = Acd()
    center = await start_center("sqlite", _prepare(acd, config))
    adam = await as_user(center, "adam")
    ids = {"ann": center.users["ann"].agent_id or 0, "al": center.users["al"].agent_id or 0}
    ids["zh"] = (await _ok(adam, "POST", "/api/v1/skills", {"name": "zh"}))["id"]
    ids["sales"] = (await _ok(adam, "POST", "/api/v1/queues", {
        "name": "sales", "sla_target_seconds": 20}))["id"]
    await _ok(adam, "PUT", f"/api/v1/queues/{ids['sales']}/skills/{ids['zh']}", {})
    await _ok(adam, "POST", "/api/v1/pause-reasons", {"code": "lunch", "label": "Lunch"})
    for who in ("ann", "al"):
        await _ok(adam, "PUT", f"/api/v1/agents/{ids[who]}/skills/{ids['zh']}",
                  {"proficiency": 3})
        await _ok(adam, "PUT", f"/api/v1/queues/{ids['sales']}/members/{ids[who]}", {})
    acd.sync(center)
    return Live(center, acd, ids)


@pytest.fixture
async def live(start_center: support.Starter) -> Live:
    return await _live(start_center, WsConfig(heartbeat_seconds=30, pump_tick=0.1))


def offered(tenant: str, agent: int, call_id: str, caller: str | None = CALLER) -> LiveEvent:
    return LiveEvent(EventKind.CALL_OFFERED, tenant, queue="sales", agent=str(agent),
                     call_id=call_id, data={"caller": caller, "ring_timeout_s": 20})


# --- authentication --------------------------------------------------------------------

async def test_handshake_needs_a_valid_token(live: Live) -> None:
    client = live.center.client
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    resp = await client.get(WS, headers=upgrade)
    assert (resp.status, (await resp.json())["error"]["id"]) == (401, "auth.required")
    resp = await client.get(WS, headers={**upgrade,
                                         "Sec-WebSocket-Protocol": "callcenter.v1, bearer.x"})
    assert (resp.status, (await resp.json())["error"]["id"]) == (401, "auth.token_invalid")
    with pytest.raises(aiohttp.WSServerHandshakeError) as failed:
        await client.ws_connect(WS, protocols=("callcenter.v1", "bearer.v1.bad.token"))
    assert failed.value.status == 401
    token = await live.center.login("sue")
    resp = await client.get(WS, headers={"Authorization": f"Bearer {token}"})
    assert (resp.status, (await resp.json())["error"]["id"]) == (
        400, "request.websocket_required")


async def test_browser_subprotocol_and_header_both_work(live: Live) -> None:
    by_protocol = await live.connect("sue")
    assert by_protocol.ws.protocol == "callcenter.v1"
    by_header = await live.connect("sue", protocol=False)
    await by_header.ws.send_json({"type": "ping", "nonce": "n1"})
    assert (await by_header.until(lambda m: m["type"] == "pong"))["nonce"] == "n1"


async def test_logout_ends_the_socket_at_the_next_heartbeat(
        start_center: support.Starter) -> None:
    live = await _live(start_center, WsConfig(heartbeat_seconds=0.2, pump_tick=0.1))
    sock = await live.connect("sue")
    assert (await sock.until(lambda m: m["type"] == "heartbeat"))["at"] > 0
    sue = Client(live.center, sock.token)
    await _ok(sue, "POST", "/api/v1/auth/logout")
    err = await sock.until(lambda m: m["type"] == "error")
    assert err["error"]["id"] == "auth.token_revoked"
    closed = await sock.ws.receive(3)
    assert closed.type is aiohttp.WSMsgType.CLOSE
    assert (closed.data, closed.extra) == (4401, "auth.token_revoked")


# --- subscriptions ---------------------------------------------------------------------

async def test_bad_messages_and_subscriptions_get_error_ids(live: Live) -> None:
    ana = await live.connect("ana")
    await ana.ws.send_str("not json")
    assert (await ana.next())["error"]["id"] == "ws.bad_message"
    await ana.ws.send_json({"type": "subscribe", "channel": "everything"})
    err = await ana.next()
    assert (err["error"]["id"], err["error"]["details"]["field"]) == (
        "ws.bad_message", "channel")
    refused = await ana.subscribe("desk")
    assert (refused["error"]["id"], refused["error"]["details"]["permission"]) == (
        "permission.denied", "agents.state")
    refused = await ana.subscribe("wallboard", kinds=["call.offered"])
    assert (refused["error"]["id"], refused["error"]["details"]["field"]) == (
        "ws.bad_subscription", "kinds")
    refused = await ana.subscribe("wallboard", tenant="globex")
    assert refused["error"]["id"] == "permission.denied"
    await ana.ws.send_json({"type": "unsubscribe", "id": "nope"})
    assert (await ana.next())["error"]["id"] == "ws.unknown_subscription"
    root = await live.connect("root")
    refused = await root.subscribe("wallboard")
    assert (refused["error"]["id"], refused["error"]["details"]["field"]) == (
        "ws.bad_subscription", "tenant")
    ok = await root.subscribe("wallboard", tenant="globex")
    assert (ok["type"], ok["tenant"]) == ("subscribed", "globex")
    gus = await live.connect("gus")  # an agent user not linked to an agent
    refused = await gus.subscribe("desk")
    assert refused["error"]["details"]["reason"] == "not_an_agent"


async def test_binary_frames_close_the_socket(live: Live) -> None:
    sock = await live.connect("sue")
    await sock.ws.send_bytes(b"\x00")
    assert (await sock.next())["error"]["id"] == "ws.unsupported_frame"
    closed = await sock.ws.receive(3)
    assert (closed.type, closed.data) == (aiohttp.WSMsgType.CLOSE, 1003)


# --- tenant isolation and scope --------------------------------------------------------

async def test_an_agent_sees_only_their_own_events_in_their_own_tenant(live: Live) -> None:
    ann = await live.connect("ann")
    sub = await ann.subscribe("desk", id="mine")
    assert (sub["type"], sub["tenant"], sub["id"]) == ("subscribed", "acme", "mine")
    sue = await live.connect("sue")
    await sue.subscribe("cti")
    gina = await live.connect("gina")
    await gina.subscribe("cti")
    ann_id, al_id = live.ids["ann"], live.ids["al"]
    # The same agent id in another tenant is someone else.
    for event in (offered("globex", ann_id, "g-1"), offered("acme", al_id, "a-al"),
                  LiveEvent(EventKind.CALL_QUEUED, "acme", queue="sales", call_id="q-1",
                            data={"caller": CALLER}),
                  offered("acme", ann_id, "a-ann")):
        live.bus.publish(event)
    got = await ann.quiet()
    assert [m["event"]["call_id"] for m in got] == ["a-ann"]
    assert {m["event"]["tenant"] for m in await sue.quiet()} == {"acme"}
    gina_got = await gina.quiet()
    assert [m["event"]["call_id"] for m in gina_got] == ["g-1"]


async def test_team_lead_sees_their_team_and_analyst_no_caller_numbers(live: Live) -> None:
    lee = await live.connect("lee")
    await lee.subscribe("cti")
    ana = await live.connect("ana")
    await ana.subscribe("cti")
    live.bus.publish(offered("acme", live.ids["al"], "blue-call"))
    live.bus.publish(offered("acme", live.ids["ann"], "red-call"))
    assert [m["event"]["call_id"] for m in await lee.quiet()] == ["red-call"]
    seen = await ana.quiet()
    assert [m["event"]["data"]["caller"] for m in seen] == ["[redacted]", "[redacted]"]
    assert all("screen_pop" not in m for m in seen)


# --- the screen pop --------------------------------------------------------------------

async def test_screen_pop_from_crm_rows(live: Live) -> None:
    sue = await as_user(live.center, "sue")
    cust = await _ok(sue, "POST", "/api/v1/customers",
                     {"name": "Wang Fang", "vip": True, "phones": [CALLER]})
    cid = cust["id"]
    await _ok(sue, "POST", "/api/v1/notes",
              {"customer_id": cid, "body": "asked about the refund", "call_id": "old-1"})
    await _ok(sue, "POST", "/api/v1/notes", {"customer_id": cid, "body": "prefers e-mail"})
    await _ok(sue, "POST", "/api/v1/tickets",
              {"customer_id": cid, "subject": "Refund", "status": "open"})
    await _ok(sue, "POST", "/api/v1/tickets",
              {"customer_id": cid, "subject": "Old", "status": "closed"})
    await _ok(sue, "POST", "/api/v1/orders", {"customer_id": cid, "reference": "SO-1",
                                              "amount": "99.50", "currency": "CNY"})
    await _ok(sue, "POST", "/api/v1/orders", {"customer_id": cid, "reference": "SO-0",
                                              "amount": "5", "currency": "CNY",
                                              "status": "delivered"})
    ann = await live.connect("ann")
    await ann.subscribe("desk")
    live.bus.publish(offered("acme", live.ids["ann"], "ring-1"))
    msg = await ann.until(lambda m: m["type"] == "event")
    pop = msg["screen_pop"]
    assert (pop["known"], pop["matches"], pop["caller"]) == (True, 1, CALLER)
    customer = pop["customers"][0]
    assert (customer["name"], customer["vip"], customer["phones"]) == (
        "Wang Fang", True, [CALLER])
    assert [n["body"] for n in customer["last_notes"]] == [
        "prefers e-mail", "asked about the refund"]
    assert customer["last_call_at"] is not None
    assert [t["subject"] for t in customer["open_tickets"]] == ["Refund"]
    assert [(o["reference"], o["amount"]) for o in customer["open_orders"]] == [
        ("SO-1", "99.50")]
    # Unknown and malformed callers: an empty pop, the offer still shown.
    live.bus.publish(offered("acme", live.ids["ann"], "ring-2", "+8613900000000"))
    live.bus.publish(offered("acme", live.ids["ann"], "ring-3", "anonymous"))
    unknown = await ann.until(lambda m: m["type"] == "event")
    assert (unknown["event"]["call_id"], unknown["screen_pop"]["known"],
            unknown["screen_pop"]["customers"]) == ("ring-2", False, [])
    bad = await ann.until(lambda m: m["type"] == "event")
    assert bad["screen_pop"]["reason"] == "caller number is not E.164"
    # Another tenant's customer with the same number never pops up in acme.
    gina = await as_user(live.center, "gina")
    await _ok(gina, "POST", "/api/v1/customers", {"name": "Globex guy", "phones": ["+100"]})
    live.bus.publish(offered("acme", live.ids["ann"], "ring-4", "+100"))
    other = await ann.until(lambda m: m["type"] == "event")
    assert other["screen_pop"]["known"] is False


# --- supervisors' live updates from the ACD --------------------------------------------

async def test_wallboard_follows_the_acd(live: Live) -> None:
    sue = await live.connect("sue")
    sub = await sue.subscribe("wallboard")
    snap = sub["snapshot"]
    assert snap["acd"] == "attached"
    assert [q["queue"] for q in snap["queues"]] == ["sales"]
    assert {a["name"]: a["state"] for a in snap["agents"]} == {
        "Ann": "logged_out", "Al": "logged_out"}
    lee = await live.connect("lee")
    lee_sub = await lee.subscribe("wallboard")
    assert [a["name"] for a in lee_sub["snapshot"]["agents"]] == ["Ann"]
    await asyncio.sleep(0.3)  # the pump learns the baseline

    ann = await as_user(live.center, "ann")
    al = await as_user(live.center, "al")
    await _ok(ann, "POST", "/api/v1/agent/login", {})
    await _ok(al, "POST", "/api/v1/agent/login", {"pause_reason": "lunch"})

    def state_of(name: str, state: str) -> Callable[[dict[str, Any]], bool]:
        return lambda m: (m["type"] == "event" and m["event"]["kind"] == "agent.state"
                          and m["event"]["data"]["name"] == name
                          and m["event"]["data"]["state"] == state)
    ready = await sue.until(state_of("Ann", "ready"))
    assert ready["event"]["agent"] == str(live.ids["ann"])
    paused = await sue.until(state_of("Al", "paused"))
    assert paused["event"]["data"]["pause_reason"] == "lunch"
    await lee.until(state_of("Ann", "ready"))
    assert not [m for m in await lee.quiet(0.4) if m["event"]["data"].get("name") == "Al"]

    await _ok(ann, "POST", "/api/v1/agent/pause", {"reason": "lunch"})
    for i in range(2):
        live.acd.driver.apply(CallArrived(CallRef("acme", f"w{i}"), queue="sales",
                                          caller=CALLER))
    stats = await sue.until(lambda m: m["type"] == "event"
                            and m["event"]["kind"] == "queue.stats"
                            and m["event"]["data"]["waiting"] == 2)
    assert stats["event"]["queue"] == "sales"
    assert stats["event"]["data"]["agents"] == {"paused": 2}


async def test_wallboard_without_an_acd_says_so(start_center: support.Starter) -> None:
    center = await start_center("sqlite")
    token = await center.login("sue")
    ws = await center.client.ws_connect(WS, protocols=("callcenter.v1", f"bearer.{token}"))
    await ws.receive_json(timeout=3)
    await ws.send_json({"type": "subscribe", "channel": "wallboard"})
    sub = await ws.receive_json(timeout=3)
    assert (sub["type"], sub["snapshot"]["acd"]) == ("subscribed", "unavailable")
    await ws.close()


# --- lag -------------------------------------------------------------------------------

async def test_a_lagging_client_is_told_then_closed(start_center: support.Starter) -> None:
    live = await _live(start_center, WsConfig(buffer=4, pump_tick=60))
    sue = await live.connect("sue")
    await sue.subscribe("cti", kinds=["call.queued"])
    for burst in range(3):
        # Published in one go: the socket's task cannot run in between, so its buffer of
        # 4 overflows and it gets one marker in place of the burst's first 9 events.
        for n in range(10):
            live.bus.publish(LiveEvent(EventKind.CALL_QUEUED, "acme", queue="sales",
                                       call_id=f"b{burst}-{n}"))
        lag = await sue.until(lambda m: m["type"] == "lagged")
        assert lag["dropped"] == 9 and "resync" in lag
        nxt = await sue.until(lambda m: m["type"] in ("event", "error"))
        if burst < 2:
            assert nxt["event"]["call_id"] == f"b{burst}-9"
        else:  # the third lag within a minute: the socket is closed
            assert nxt["error"]["id"] == "ws.lagging"
    closed = await sue.ws.receive(3)
    assert (closed.data, closed.extra) == (4429, "ws.lagging")


async def test_shutdown_closes_sockets_with_going_away(live: Live) -> None:
    sock = await live.connect("sue")
    await sock.subscribe("wallboard")
    await live.center.client.server.close()
    closed = await sock.ws.receive(5)
    assert (closed.type, closed.data, closed.extra) == (
        aiohttp.WSMsgType.CLOSE, 1001, "server.shutdown")
