"""One open live socket: its user, subscriptions, heartbeat and the screen pop.

Each subscription has a task moving its bus items to the socket (sends are serialised by
one lock), so a slow socket backs up only its own bus buffers, which then turn into
``lagged`` messages. The token is checked again at every heartbeat: a logout, a
deactivated user or an expired token ends the socket with 4401 and the error id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import WSMsgType, web
from pydantic import ValidationError

from control_plane.api.errors import ApiError, DependencyUnavailable, field_path
from control_plane.api.ws_protocol import (
    CHANNELS,
    LAG_WINDOW_SECONDS,
    LAGS_BEFORE_CLOSE,
    MAX_BAD_MESSAGES,
    MESSAGES,
    PII_FIELDS,
    Ping,
    Subscribe,
    Unsubscribe,
    WsClose,
    WsConfig,
    WsErrorId,
    error,
)
from control_plane.auth.principal import REDACTED, Principal
from control_plane.auth.users import DirectoryUnavailableError
from control_plane.db.errors import DbError
from control_plane.events.bus import (
    EventBus,
    EventFilter,
    EventKind,
    Lagged,
    LiveEvent,
    Subscription,
)

log = structlog.get_logger(__name__)

#: Checks the token again; returns the user as they are now (raises an ApiError otherwise).
Reauth = Callable[[], Awaitable[Principal]]
#: The screen pop for (tenant, caller number).
PopLookup = Callable[[str, str | None], Awaitable[dict[str, Any]]]
#: The snapshot of a new subscription: (tenant, channel, the filter) -> JSON.
Snapshot = Callable[[str, str, EventFilter], Awaitable[dict[str, Any]]]


class SubscriptionRefused(Exception):
    """A subscribe message that cannot be honoured; carries the error message to send."""

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(message["error"]["message"])
        self.message = message


def masked(event: LiveEvent, who: Principal) -> dict[str, Any]:
    """The event as ``who`` may see it (callers' data redacted for no-PII roles)."""
    doc = event.to_json()
    if who.no_pii:
        doc["data"] = {k: (REDACTED if k in PII_FIELDS and v is not None else v)
                       for k, v in doc["data"].items()}
    return doc


class LiveSocket:
    """The server side of one connection (see the module docstring)."""

    def __init__(self, ws: web.WebSocketResponse, who: Principal, *, bus: EventBus,
                 config: WsConfig, reauth: Reauth, pop: PopLookup, snapshot: Snapshot,
                 team: Callable[[str, int], Awaitable[frozenset[str]]]) -> None:
        self.ws, self.who, self.bus, self.config = ws, who, bus, config
        self._reauth, self._pop, self._snapshot, self._team = reauth, pop, snapshot, team
        self._subs: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self._send_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._lags: deque[float] = deque()
        self._bad = 0
        self.closing: tuple[WsClose, str] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message (no-op once the socket is closing)."""
        if self.ws.closed:
            return
        async with self._send_lock:
            with contextlib.suppress(ConnectionResetError):
                await self.ws.send_json(message)

    async def close(self, code: WsClose, error_id: str, message: str, **details: Any) -> None:
        """Send the error, then close with ``code`` (the reason is the error id)."""
        if self.closing is None:
            self.closing = (code, error_id)
            await self.send(error(error_id, message, **details))
            await self.ws.close(code=code, message=error_id.encode())

    async def run(self) -> None:
        """Serve the socket until either side closes it."""
        beat = asyncio.create_task(self._heartbeat(), name="ws-heartbeat")
        try:
            async for msg in self.ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await self.close(WsClose.UNSUPPORTED, WsErrorId.UNSUPPORTED_FRAME,
                                     "send JSON text frames")
                if self.closing is not None:
                    break
        finally:
            beat.cancel()
            for sub, task in self._subs.values():
                sub.close()
                task.cancel()
            await asyncio.gather(beat, *(t for _s, t in self._subs.values()),
                                 return_exceptions=True)
            self._subs.clear()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_seconds)
            try:
                self.who = await self._reauth()
            except DependencyUnavailable as exc:  # the directory away: keep serving
                log.warning("live socket re-authentication deferred", reason=exc.message)
            except ApiError as exc:
                await self.close(WsClose.AUTH, exc.error_id, exc.message)
                return
            except Exception as exc:  # the directory away: keep serving, check next beat
                log.warning("live socket re-authentication failed", reason=str(exc))
            await self.send({"type": "heartbeat", "at": time.time()})

    async def _bad_message(self, fields: list[dict[str, str]]) -> None:
        self._bad += 1
        first = fields[0]
        await self.send(error(WsErrorId.BAD_MESSAGE,
                              f"bad message: {first['field'] or '(root)'}: {first['message']}",
                              field=first["field"], errors=fields))
        if self._bad >= MAX_BAD_MESSAGES:
            await self.close(WsClose.BAD_MESSAGES, WsErrorId.BAD_MESSAGE,
                             "too many malformed messages")

    async def _on_text(self, text: str) -> None:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            await self._bad_message([{"field": "", "message": f"not JSON: {exc.msg}",
                                      "type": "json_invalid"}])
            return
        kind = raw.get("type") if isinstance(raw, dict) else None
        model = MESSAGES.get(kind) if isinstance(kind, str) else None
        if model is None:
            await self._bad_message([{
                "field": "type", "message": "expected one of " + ", ".join(MESSAGES),
                "type": "unknown_message"}])
            return
        try:
            message = model.model_validate(raw)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            await self._bad_message([{"field": field_path(e["loc"]), "message": e["msg"],
                                      "type": e["type"]} for e in errors])
            return
        match message:
            case Ping(nonce=nonce):
                await self.send({"type": "pong", "nonce": nonce, "at": time.time()})
            case Unsubscribe(id=key):
                await self._unsubscribe(key)
            case Subscribe() as sub:
                try:
                    await self._subscribe(sub)
                except SubscriptionRefused as refused:
                    await self.send(refused.message)
                except (DbError, DirectoryUnavailableError, DependencyUnavailable) as exc:
                    # The roster or team could not be read: say so and keep the socket; the
                    # client subscribes again later (nothing half-made stays behind).
                    reason = str(exc).replace("database unavailable: ", "")
                    await self.send(error(DependencyUnavailable.error_id,
                                          f"database unavailable: {reason}",
                                          dependency="database", reason=reason,
                                          retry_after=5))

    async def _unsubscribe(self, key: str) -> None:
        entry = self._subs.pop(key, None)
        if entry is None:
            await self.send(error(WsErrorId.UNKNOWN_SUBSCRIPTION, f"no subscription {key!r}",
                                  field="id"))
            return
        entry[0].close()
        entry[1].cancel()
        await self.send({"type": "unsubscribed", "id": key})

    def _tenant(self, sub: Subscribe) -> str:
        who = self.who
        if who.is_operator:
            if sub.tenant is None:
                raise SubscriptionRefused(error(WsErrorId.BAD_SUBSCRIPTION,
                                                "the operator must name the tenant",
                                                field="tenant"))
            return sub.tenant
        if sub.tenant not in (None, who.tenant) or who.tenant is None:
            raise SubscriptionRefused(error("permission.denied",
                                            "only the operator watches another tenant",
                                            field="tenant"))
        return who.tenant

    async def _filter(self, sub: Subscribe, tenant: str) -> EventFilter:
        spec, who = CHANNELS[sub.channel], self.who
        if not who.can(spec.permission):
            raise SubscriptionRefused(error(
                "permission.denied", f"role {who.role.value} lacks permission "
                f"{spec.permission}", permission=spec.permission, channel=sub.channel))
        allowed = spec.kinds
        if who.role.value == "agent":
            # An agent sees no other caller's waiting or abandoned call: only figures.
            allowed = allowed - {EventKind.CALL_QUEUED, EventKind.CALL_ABANDONED}
        kinds = allowed
        if sub.kinds is not None:
            outside = sorted(k.value for k in set(sub.kinds) - allowed)
            if outside:
                raise SubscriptionRefused(error(
                    WsErrorId.BAD_SUBSCRIPTION, f"channel {sub.channel} does not carry "
                    + ", ".join(outside) + " for this user", field="kinds",
                    allowed=sorted(allowed)))
            kinds = frozenset(sub.kinds)
        queues = None if sub.queues is None else frozenset(sub.queues)
        agents: frozenset[str] | None = None
        agentless = True
        if spec.agent_only or who.role.value == "agent":
            if who.agent_id is None:
                raise SubscriptionRefused(error(
                    "permission.denied", "this user is not linked to an agent",
                    reason="not_an_agent", channel=sub.channel))
            agents = frozenset({str(who.agent_id)})
            agentless = not spec.agent_only
        elif who.role.value == "team_lead":
            agents = await self._team(tenant, who.team_id or 0)
        return EventFilter(tenant=tenant, kinds=kinds, agents=agents, queues=queues,
                           agentless=agentless)

    async def _subscribe(self, sub: Subscribe) -> None:
        key = sub.id or f"{sub.channel}-{next(self._ids)}"
        if key in self._subs:
            raise SubscriptionRefused(error(WsErrorId.BAD_SUBSCRIPTION,
                                            f"subscription {key!r} exists", field="id"))
        if len(self._subs) >= self.config.max_subscriptions:
            raise SubscriptionRefused(error(
                WsErrorId.TOO_MANY_SUBSCRIPTIONS,
                f"at most {self.config.max_subscriptions} subscriptions per socket",
                limit=self.config.max_subscriptions))
        tenant = self._tenant(sub)
        flt = await self._filter(sub, tenant)
        # Subscribe before the snapshot: an event in between is seen twice, never lost.
        bus_sub = self.bus.subscribe(flt, maxsize=self.config.buffer)
        task = asyncio.create_task(self._forward(key, sub.channel, bus_sub),
                                   name=f"ws-{key}")
        self._subs[key] = (bus_sub, task)
        try:
            snapshot = await self._snapshot(tenant, sub.channel, flt)
        except BaseException:
            self._subs.pop(key, None)
            bus_sub.close()
            task.cancel()
            raise
        await self.send({"type": "subscribed", "id": key, "channel": sub.channel,
                         "tenant": tenant, "kinds": sorted(k.value for k in flt.kinds or ()),
                         "snapshot": snapshot})

    async def send_text(self, text: str) -> None:
        """Send one message already in JSON text."""
        if self.ws.closed:
            return
        async with self._send_lock:
            with contextlib.suppress(ConnectionResetError):
                await self.ws.send_str(text)

    async def _forward(self, key: str, channel: str, sub: Subscription) -> None:
        prefix = '{"type":"event","subscription":' + json.dumps(key) + ',"event":'
        async for item in sub:
            if isinstance(item, Lagged):
                await self._lagged(key, item)
            elif channel == "desk" and item.kind is EventKind.CALL_OFFERED:
                await self.send({"type": "event", "subscription": key,
                                 "event": masked(item, self.who),
                                 "screen_pop": await self._screen_pop(item)})
            elif self.who.no_pii:
                await self.send({"type": "event", "subscription": key,
                                 "event": masked(item, self.who)})
            else:  # the common case: the event's text, serialised once for every socket
                await self.send_text(prefix + item.json_text() + "}")

    async def _screen_pop(self, event: LiveEvent) -> dict[str, Any]:
        caller = event.data.get("caller")
        try:
            return await asyncio.wait_for(
                self._pop(event.tenant, caller if isinstance(caller, str) else None),
                self.config.screen_pop_timeout)
        except Exception as exc:  # the call still rings: show it without the pop
            log.warning("screen pop failed", call_id=event.call_id, reason=repr(exc))
            return {"caller": caller, "known": False, "matches": 0, "customers": [],
                    "error": "dependency.unavailable"}

    async def _lagged(self, key: str, lag: Lagged) -> None:
        now = time.monotonic()
        self._lags.append(now)
        while self._lags and now - self._lags[0] > LAG_WINDOW_SECONDS:
            self._lags.popleft()
        await self.send({"type": "lagged", "subscription": key, "dropped": lag.dropped,
                         "resync": lag.resync})
        if len(self._lags) >= LAGS_BEFORE_CLOSE:
            await self.close(WsClose.LAGGING, WsErrorId.LAGGING,
                             f"lagged {len(self._lags)} times in {LAG_WINDOW_SECONDS:.0f} s: "
                             "the client does not keep up", dropped=lag.dropped)
