"""Live calls of this replica's call controller, and supervisor monitoring of one.

Tenant-scoped like everything else: a supervisor sees and monitors only their tenant's
calls, an agent only the calls they talk on, analysts never see the caller's number.
"""

from __future__ import annotations

import time

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.acd.model import AgentRef
from control_plane.api.agent_routes import own_agent
from control_plane.api.errors import (
    ApiError,
    DependencyUnavailable,
    PermissionDenied,
    ResourceNotFound,
)
from control_plane.api.routes import RouteTable, body, principal, reply
from control_plane.auth.permissions import Role
from control_plane.auth.principal import Principal
from control_plane.calls.mixing_leg import conference
from control_plane.calls.service import CallControllerService
from control_plane.calls.session import CallSession
from control_plane.calls.supervision import MODES, MonitorError, monitor

ROUTES = RouteTable()
CALLS: web.AppKey[CallControllerService | None] = web.AppKey("calls")
SEAT = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TARGET = r"^[A-Za-z0-9+][A-Za-z0-9._+-]{0,63}$"  # a seat or a number


class MonitorRefused(ApiError):
    """The call cannot be monitored that way now (not connected, another supervisor is
    mixing, a codec the mixing leg does not speak, no answer); ``details.reason`` says which."""

    status, error_id, default_message = 409, "calls.monitor_refused", "cannot monitor the call"


class LiveCall(BaseModel):
    """A call this controller is handling."""

    call_id: str
    tenant: str
    number: str = Field(description="the center number the caller dialled")
    caller: str | None = Field(description="caller's number; null for analysts (no PII)")
    phase: str
    queue: str
    agent: str
    on_hold: bool
    seconds: float


class LiveCalls(BaseModel):
    """Every live call the reader may see."""

    count: int
    calls: list[LiveCall]


class MonitorRequest(BaseModel):
    """Monitor a call from a supervisor's seat: ``listen`` (a send-only copy of both
    parties), ``whisper`` (the agent hears the supervisor, the caller does not) or ``barge``
    (all three hear each other); asking again from the same seat switches whisper ↔ barge.
    The supervisor's hangup ends it and gives back the direct two-way call."""

    model_config = ConfigDict(extra="forbid")

    seat: str = Field(min_length=1, max_length=64, pattern=SEAT)
    mode: str = Field(default="listen", pattern="^(" + "|".join(MODES) + ")$")


class MonitorStarted(BaseModel):
    """The supervisor's seat answered and hears the call."""

    call_id: str
    seat: str
    mode: str


def _service(request: web.Request) -> CallControllerService:
    service = request.app.get(CALLS)
    if service is None:
        raise DependencyUnavailable("call controller", "this replica runs no call controller")
    return service


def _visible(who: Principal, session: CallSession) -> bool:
    if not who.is_operator and session.route.tenant != who.tenant:
        return False
    if who.role is Role.AGENT:
        return session.record.agent == who.username
    return True


def _view(who: Principal, session: CallSession) -> LiveCall:
    r = session.record
    return LiveCall(call_id=session.call_id, tenant=r.tenant, number=r.did,
                    caller=None if who.no_pii else r.caller, phase=session.phase.value,
                    queue=r.queue, agent=r.agent, on_hold=session.on_hold,
                    seconds=round(time.time() - r.started_at, 1))


@ROUTES.get("/api/v1/calls/live", permission="calls.read", summary="Live calls",
            tags=("calls",), response=LiveCalls)
async def live_calls(request: web.Request) -> web.Response:
    """The calls this replica's controller handles now, within the reader's reach."""
    who = principal(request)
    sessions = [s for s in _service(request).controller.sessions.values() if _visible(who, s)]
    views = [_view(who, s) for s in sessions]
    return reply(LiveCalls(count=len(views), calls=views))


@ROUTES.post(r"/api/v1/calls/{call_id:[^/]+}/monitor", permission="calls.monitor",
             summary="Listen, whisper or barge into a live call from a supervisor's seat",
             tags=("calls",),
             body=MonitorRequest, response=MonitorStarted, status=201,
             errors=(MonitorRefused, ResourceNotFound, DependencyUnavailable))
async def monitor_call(request: web.Request) -> web.Response:
    """Ring the supervisor's seat: a send-only copy of the call (listen), or a leg of our
    mixing bridge (whisper, barge); 201 once the supervisor's seat has answered."""
    who = principal(request)
    wanted = body(request, MonitorRequest)
    session = _service(request).controller.sessions.get(request.match_info["call_id"])
    if session is None or not _visible(who, session):
        raise ResourceNotFound("no such live call")
    try:
        await monitor(session, wanted.seat, wanted.mode)
    except MonitorError as exc:
        raise MonitorRefused(str(exc), details={"reason": exc.error_id}) from exc
    return reply(MonitorStarted(call_id=session.call_id, seat=wanted.seat, mode=wanted.mode),
                 status=201)


class ConferenceRequest(BaseModel):
    """Add a third party to the agent's own connected call: a seat or a number."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(min_length=1, max_length=64, pattern=TARGET)


class ConferenceStarted(BaseModel):
    """The third party answered: caller, agent and guest hear each other."""

    call_id: str
    target: str


@ROUTES.post(r"/api/v1/agent/calls/{call_id:[^/]+}/conference", permission="agents.state",
             summary="Add a third party to your call (three-way conference)",
             tags=("agent desk",), body=ConferenceRequest, response=ConferenceStarted,
             status=201,
             errors=(MonitorRefused, ResourceNotFound, PermissionDenied, DependencyUnavailable))
async def conference_call(request: web.Request) -> web.Response:
    """Ring ``target`` on a leg of the call's mixing bridge; 201 once it answered. It
    ends when the guest hangs up (caller and agent go on talking) or the call ends."""
    tenant, agent_id = own_agent(principal(request))
    wanted = body(request, ConferenceRequest)
    session = _service(request).controller.sessions.get(request.match_info["call_id"])
    leg = session.agent_leg if session is not None else None
    if (session is None or session.route.tenant != tenant or leg is None
            or leg.agent != AgentRef(tenant, str(agent_id))):
        raise ResourceNotFound("no such live call of yours")  # others' calls stay unseen
    try:
        await conference(session, wanted.target)
    except MonitorError as exc:
        raise MonitorRefused(str(exc), details={"reason": exc.error_id}) from exc
    return reply(ConferenceStarted(call_id=session.call_id, target=wanted.target),
                 status=201)
