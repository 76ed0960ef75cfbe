"""Publishes ``queue.stats`` and ``agent.state`` from the ACD's live figures.

Once a tick (1 s) and only for tenants someone listens to, the pump reads the ``LiveStats``
port and publishes what changed since the last tick: a queue's figures (its waiting calls,
oldest wait, agents by state, service level so far), an agent's state or pause reason. It
reads the port rather than the controller's callbacks so that wallboards see the same
figures as ``GET /api/v1/stats/queues``, whichever process (or, with Redis, replica) made
the change. The first tick of a tenant only learns the baseline: subscribers get the
current picture as a snapshot when they subscribe.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import structlog

from control_plane.api.agent_ports import AgentLive, LiveStats, QueueLive, agent_ref
from control_plane.events.bus import EventBus, EventKind, LiveEvent

log = structlog.get_logger(__name__)

TICK_SECONDS: Final = 1.0
ROSTER_SECONDS: Final = 30.0  # how long a tenant's list of agents is reused


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One agent of a tenant, as the configuration database knows them."""

    agent_id: int
    name: str
    team_id: int | None


Roster = Callable[[str], Awaitable[list[RosterEntry]]]


def queue_figures(q: QueueLive) -> dict[str, Any]:
    """A queue's figures as event data (the shape of ``GET /api/v1/stats/queues``)."""
    return {"queue": q.queue, "waiting": q.waiting,
            "oldest_wait_seconds": round(q.oldest_wait_seconds, 1),
            "agents": dict(q.agents), "answered": q.answered,
            "answered_in_target": q.answered_in_target, "abandoned": q.abandoned,
            "short_abandoned": q.short_abandoned, "target_seconds": q.target_seconds,
            "service_level": q.service_level}


def agent_figures(who: RosterEntry, a: AgentLive) -> dict[str, Any]:
    """An agent's state as event data."""
    return {"agent_id": who.agent_id, "name": who.name, "team_id": who.team_id,
            "state": a.state, "pause_reason": a.pause_reason,
            "seconds_in_state": None if a.seconds_in_state is None
            else round(a.seconds_in_state, 1),
            "calls_handled": a.calls_handled, "queues": list(a.queues)}


class LivePump:
    """The periodic reader; start it with the application, stop it on shutdown."""

    def __init__(self, bus: EventBus, *, live: Callable[[], LiveStats | None],
                 roster: Roster, tick: float = TICK_SECONDS) -> None:
        self.bus = bus
        self._live = live
        self._roster = roster
        self.tick = tick
        self._queues: dict[str, dict[str, dict[str, Any]]] = {}
        self._agents: dict[str, dict[int, tuple[str, str | None]]] = {}
        self._rosters: dict[str, tuple[float, list[RosterEntry]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def roster(self, tenant: str) -> list[RosterEntry]:
        """The tenant's agents (cached for ``ROSTER_SECONDS``)."""
        cached = self._rosters.get(tenant)
        now = time.monotonic()
        if cached is None or now - cached[0] > ROSTER_SECONDS:
            cached = (now, await self._roster(tenant))
            self._rosters[tenant] = cached
        return cached[1]

    async def poll(self, tenant: str) -> int:
        """Publish ``tenant``'s changes since the last poll; returns how many events."""
        live = self._live()
        if live is None:
            return 0
        sent = 0
        seen_queues = self._queues.get(tenant)
        queues = {q.queue: queue_figures(q) for q in await live.queues(tenant)}
        if seen_queues is not None:
            for name, figures in queues.items():
                if seen_queues.get(name) != figures:
                    self.bus.publish(LiveEvent(EventKind.QUEUE_STATS, tenant, queue=name,
                                               data=figures))
                    sent += 1
        self._queues[tenant] = queues
        seen_agents = self._agents.get(tenant)
        states: dict[int, tuple[str, str | None]] = {}
        for who in await self.roster(tenant):
            a = await live.agent(agent_ref(tenant, who.agent_id))
            states[who.agent_id] = (a.state, a.pause_reason)
            if seen_agents is not None and seen_agents.get(who.agent_id) != states[who.agent_id]:
                self.bus.publish(LiveEvent(EventKind.AGENT_STATE, tenant,
                                           agent=str(who.agent_id),
                                           data=agent_figures(who, a)))
                sent += 1
        self._agents[tenant] = states
        return sent

    async def poll_all(self) -> int:
        """One tick: every tenant someone listens to; forgets tenants nobody watches."""
        watched = {t for t in self.bus.tenants() if t is not None}
        for gone in set(self._queues) - watched:
            self._queues.pop(gone, None)
            self._agents.pop(gone, None)
        sent = 0
        for tenant in sorted(watched):
            try:
                sent += await self.poll(tenant)
            except Exception:  # one tenant's failure (database away) must not stop the rest
                log.exception("live figures not read", tenant=tenant)
        return sent

    async def _run(self) -> None:
        while True:
            await self.poll_all()
            await asyncio.sleep(self.tick)

    def start(self) -> None:
        """Start ticking on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="live-pump")

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
