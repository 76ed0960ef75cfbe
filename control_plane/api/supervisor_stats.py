"""Live queue and agent statistics from the ACD (through the ``LiveStats`` port).

Queue figures: calls waiting, the oldest wait, agents by state, service level so far (this
process's count since it started). Agent figures: state and reason, time in it, calls
handled. Agents read only their own figures, team leads their team's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web
from pydantic import BaseModel

from control_plane.api.agent_ports import LIVE, AgentLive, LiveStats, QueueLive, agent_ref
from control_plane.api.config_crud import TenantQuery, path_id, request_tenant
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.errors import DependencyUnavailable, ResourceNotFound
from control_plane.api.routes import RouteTable, principal, reply
from control_plane.auth.principal import require_scope
from control_plane.db.repos import entities as e

ROUTES = RouteTable()
_TAGS = ("live statistics",)


class QueueLiveView(BaseModel):
    """A queue now."""

    queue_id: int | None
    queue: str
    waiting: int
    oldest_wait_seconds: float
    agents: dict[str, int]
    answered: int
    answered_in_target: int
    abandoned: int
    short_abandoned: int
    target_seconds: float
    service_level: float | None

    @classmethod
    def of(cls, live: QueueLive, queue_id: int | None) -> QueueLiveView:
        """From the port's figures."""
        return cls(queue_id=queue_id, queue=live.queue, waiting=live.waiting,
                   oldest_wait_seconds=round(live.oldest_wait_seconds, 3),
                   agents=dict(live.agents), answered=live.answered,
                   answered_in_target=live.answered_in_target, abandoned=live.abandoned,
                   short_abandoned=live.short_abandoned, target_seconds=live.target_seconds,
                   service_level=live.service_level)


class QueueLiveList(BaseModel):
    """Every queue of the tenant the ACD routes."""

    count: int
    queues: list[QueueLiveView]


class AgentLiveView(BaseModel):
    """An agent now; ``since`` is None when the start of the state was not seen."""

    agent_id: int
    state: str
    pause_reason: str | None
    since: datetime | None
    seconds_in_state: float | None
    calls_handled: int
    queues: list[str]

    @classmethod
    def of(cls, live: AgentLive) -> AgentLiveView:
        """From the port's figures."""
        seconds = live.seconds_in_state
        since = None if seconds is None else datetime.now(UTC) - timedelta(seconds=seconds)
        return cls(agent_id=int(live.agent.agent), state=live.state,
                   pause_reason=live.pause_reason, since=since,
                   seconds_in_state=None if seconds is None else round(seconds, 3),
                   calls_handled=live.calls_handled, queues=list(live.queues))


def _live(request: web.Request) -> LiveStats:
    live = request.app.get(LIVE)
    if live is None:
        raise DependencyUnavailable("acd", "no ACD engine is attached to this process")
    return live


_ERRORS = (DependencyUnavailable, ResourceNotFound)


@ROUTES.get("/api/v1/stats/queues", permission="stats.read", summary="Live queue figures",
            tags=_TAGS, query=TenantQuery, response=QueueLiveList, errors=_ERRORS)
async def live_queues(request: web.Request) -> web.Response:
    """Every queue of the tenant the ACD routes, by name, with its database id."""
    tenant = request_tenant(request)
    live = await _live(request).queues(tenant)
    ids = await request.app[CONFIG_DB].run(lambda s: {
        q.name: q.id for q in e.queues.list(s, tenant, limit=500).items})
    views = [QueueLiveView.of(q, ids.get(q.queue)) for q in live]
    return reply(QueueLiveList(count=len(views), queues=views))


@ROUTES.get(r"/api/v1/stats/queues/{id:\d+}", permission="stats.read",
            summary="Live figures of a queue", tags=_TAGS, query=TenantQuery,
            response=QueueLiveView, errors=_ERRORS)
async def live_queue(request: web.Request) -> web.Response:
    """One queue now; 404 when the ACD does not route it (not loaded yet)."""
    tenant, key = request_tenant(request), path_id(request)
    name = await request.app[CONFIG_DB].run(lambda s: e.queues.get(s, tenant, key).name)
    live = await _live(request).queue(tenant, name)
    if live is None:
        raise ResourceNotFound("the ACD does not route this queue yet",
                               details={"reason": "not_loaded"})
    return reply(QueueLiveView.of(live, key))


@ROUTES.get(r"/api/v1/stats/agents/{id:\d+}", permission="stats.read",
            summary="Live figures of an agent", tags=_TAGS, query=TenantQuery,
            response=AgentLiveView, errors=_ERRORS)
async def live_agent(request: web.Request) -> web.Response:
    """One agent now (agents: themselves only; team leads: their team)."""
    who, tenant, key = principal(request), request_tenant(request), path_id(request)
    row = await request.app[CONFIG_DB].run(lambda s: e.agents.get(s, tenant, key))
    require_scope(who, tenant=row.tenant, agent_id=row.id, team_id=row.team_id)
    return reply(AgentLiveView.of(await _live(request).agent(agent_ref(tenant, key))))
