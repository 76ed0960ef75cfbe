"""The in-process live event bus: what happens to calls, agents and queues, as it happens.

Publishers (the call controller, the queue-figure pump) call :meth:`EventBus.publish`, which
never blocks and never fails because of a subscriber. Subscribers (WebSocket connections of
agent desks, wallboards and CTI clients) iterate :meth:`EventBus.subscribe`: each has its own
bounded buffer; a consumer that falls behind loses the buffered events and gets one
:class:`Lagged` marker instead (with how many it missed and what to re-read), so a slow
browser never holds up the publishers or the other subscribers.

Everything runs on the application's event loop: call ``publish`` from the loop's thread
(``publish_threadsafe`` from any other thread).

What the call controller publishes, and when (``tenant`` on every event; ``agent`` is the
ACD's agent id, the configuration database id as text; ``queue`` the queue's name;
``call_id`` the caller leg's SIP Call-ID; ``at`` defaults to now, UTC):

``call.queued``
    the caller entered a queue (after the IVR): queue, call_id;
    data ``{"caller": "<number as received>", "position": int, "priority": int}``.
``call.offered``
    the ACD offers the call to an agent (their phone starts ringing): queue, agent, call_id;
    data ``{"caller": "<number>", "ring_timeout_s": float, "waited_s": float}``. The
    WebSocket layer adds the screen pop (customer looked up by ``caller``) for that agent.
``call.offer_ended``
    the offer is withdrawn before answer: agent, queue, call_id;
    data ``{"reason": "timeout" | "declined" | "caller_hung_up" | "cancelled"}``.
``call.connected``
    the agent answered: queue, agent, call_id; data ``{"caller": str, "waited_s": float}``.
``call.held`` / ``call.resumed`` / ``call.transferred``
    in-call changes by the agent: agent, call_id; ``call.transferred`` data
    ``{"target": str, "kind": "blind" | "attended"}``.
``call.abandoned``
    the caller hung up while queued or ringing: queue, call_id;
    data ``{"waited_s": float}``.
``call.ended``
    the call is over: queue, agent (None when never connected), call_id;
    data ``{"outcome": "answered" | "abandoned" | "overflowed" | "rejected", "talk_s": float}``.
``agent.state`` and ``queue.stats`` are published by :mod:`control_plane.events.pump`
from the ``LiveStats`` port (once a second, what changed, while someone listens), not by the
controller: agent.state data ``{"agent_id", "name", "team_id", "state": "ready" | "paused"
| "offered" | "on_call" | "wrap_up" | "logged_out", "pause_reason", "seconds_in_state",
"calls_handled", "queues"}``; queue.stats data as ``GET /api/v1/stats/queues`` gives one
queue (waiting, oldest_wait_seconds, agents by state, service_level...).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Final

#: Events a subscriber's buffer holds before it counts as lagging.
DEFAULT_BUFFER: Final = 256


class EventKind(StrEnum):
    """Every kind of live event (the CTI feed documents the same list)."""

    CALL_QUEUED = "call.queued"
    CALL_OFFERED = "call.offered"
    CALL_OFFER_ENDED = "call.offer_ended"
    CALL_CONNECTED = "call.connected"
    CALL_HELD = "call.held"
    CALL_RESUMED = "call.resumed"
    CALL_TRANSFERRED = "call.transferred"
    CALL_ABANDONED = "call.abandoned"
    CALL_ENDED = "call.ended"
    AGENT_STATE = "agent.state"
    QUEUE_STATS = "queue.stats"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One thing that happened, in one tenant. ``data`` must be JSON-able."""

    kind: EventKind
    tenant: str
    queue: str | None = None
    agent: str | None = None
    call_id: str | None = None
    at: datetime = field(default_factory=_now)
    data: Mapping[str, Any] = field(default_factory=dict)
    # The JSON text, made once for every subscriber (fan-out would otherwise serialise the
    # same event once per socket).
    _text: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tenant:
            raise ValueError("a live event needs its tenant")
        if self.at.tzinfo is None:
            raise ValueError("a live event's time must be timezone-aware")

    def to_json(self) -> dict[str, Any]:
        """The event as sent to clients."""
        return {"kind": self.kind.value, "tenant": self.tenant, "queue": self.queue,
                "agent": self.agent, "call_id": self.call_id,
                "at": self.at.isoformat().replace("+00:00", "Z"), "data": dict(self.data)}

    def json_text(self) -> str:
        """:meth:`to_json` as JSON text (computed on first use, then reused)."""
        if not self._text:
            self._text.append(json.dumps(self.to_json(), separators=(",", ":")))
        return self._text[0]


@dataclass(frozen=True, slots=True)
class Lagged:
    """In place of the events a slow subscriber missed: re-read the state, then go on."""

    dropped: int
    resync: str = "re-read GET /api/v1/stats/queues and /api/v1/agent/status"


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber gets; None means any. ``tenant`` None is every tenant
    (the operator only). An event matches when every given field matches; ``agents`` and
    ``queues`` also let through events that carry no agent or no queue only when
    ``agentless`` / ``queueless`` say so."""

    tenant: str | None
    kinds: frozenset[EventKind] | None = None
    agents: frozenset[str] | None = None
    queues: frozenset[str] | None = None
    agentless: bool = True
    queueless: bool = True

    def matches(self, event: LiveEvent) -> bool:
        """True when ``event`` is for this subscriber."""
        if self.tenant is not None and event.tenant != self.tenant:
            return False
        if self.kinds is not None and event.kind not in self.kinds:
            return False
        if self.agents is not None:
            if event.agent is None:
                if not self.agentless:
                    return False
            elif event.agent not in self.agents:
                return False
        if self.queues is not None:
            if event.queue is None:
                return self.queueless
            return event.queue in self.queues
        return True


Item = LiveEvent | Lagged


class Subscription:
    """One subscriber's buffer; iterate it (``async for``) and close it when done."""

    def __init__(self, bus: EventBus, event_filter: EventFilter, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("a subscription buffer holds at least one event")
        self.filter = event_filter
        self.maxsize = maxsize
        self.dropped = 0
        self._bus = bus
        self._items: deque[Item] = deque()
        self._wake = asyncio.Event()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once closed by the subscriber or the bus."""
        return self._closed

    def _offer(self, event: LiveEvent) -> bool:
        """Buffer ``event``; False when it overflowed (the buffer became one marker)."""
        if self._closed:
            return True
        if len(self._items) < self.maxsize:
            self._items.append(event)
            self._wake.set()
            return True
        # Buffered events are stale by now: replace them all with one marker, so the
        # consumer learns at once that it must resync, and keep what comes next.
        missed = sum(1 for i in self._items if isinstance(i, LiveEvent)) + 1
        earlier = sum(i.dropped for i in self._items if isinstance(i, Lagged))
        self.dropped += missed
        self._items.clear()
        self._items.append(Lagged(missed + earlier))
        self._wake.set()
        return False

    def close(self) -> None:
        """Stop receiving; a waiting iteration ends."""
        if not self._closed:
            self._closed = True
            self._bus._forget(self)
            self._wake.set()

    def __aiter__(self) -> AsyncIterator[Item]:
        return self

    async def __anext__(self) -> Item:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self._items.popleft()

    def pending(self) -> int:
        """Items buffered and not yet read."""
        return len(self._items)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


@dataclass(slots=True)
class BusStats:
    """Counters of one bus since it started."""

    published: int = 0
    delivered: int = 0
    lagged: int = 0
    subscribers: int = 0


class EventBus:
    """Fan-out of live events to subscribers with their own filters and bounded buffers."""

    def __init__(self, *, buffer: int = DEFAULT_BUFFER) -> None:
        self.buffer = buffer
        self.stats = BusStats()
        self._subs: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def subscribe(self, event_filter: EventFilter, *, maxsize: int | None = None) \
            -> Subscription:
        """A new subscriber to events matching ``event_filter``."""
        if self._closed:
            raise RuntimeError("the event bus is closed")
        self._loop = asyncio.get_running_loop()
        sub = Subscription(self, event_filter, maxsize or self.buffer)
        self._subs.add(sub)
        self.stats.subscribers = len(self._subs)
        return sub

    def publish(self, event: LiveEvent) -> int:
        """Hand ``event`` to every matching subscriber now; returns how many matched.
        Never blocks: a full subscriber is marked lagging instead."""
        if self._closed:
            return 0
        self.stats.published += 1
        matched = 0
        for sub in tuple(self._subs):
            if sub.filter.matches(event):
                matched += 1
                if sub._offer(event):
                    self.stats.delivered += 1
                else:
                    self.stats.lagged += 1
        return matched

    def publish_threadsafe(self, event: LiveEvent) -> None:
        """:meth:`publish` from a thread other than the loop's (dropped before the first
        subscriber, when nobody could receive it anyway)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.publish, event)

    def has_subscribers(self, tenant: str | None = None) -> bool:
        """True when someone listens (to ``tenant``'s events, when given)."""
        return any(tenant is None or s.filter.tenant in (None, tenant) for s in self._subs)

    def tenants(self) -> set[str | None]:
        """Tenants someone listens to (None: a subscriber of every tenant)."""
        return {s.filter.tenant for s in self._subs}

    def _forget(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        self.stats.subscribers = len(self._subs)

    def close(self) -> None:
        """End every subscription (shutdown); later publishes are ignored."""
        self._closed = True
        for sub in tuple(self._subs):
            sub.close()
