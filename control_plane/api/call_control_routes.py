"""Call controls from the agent desk and for supervisors: answer, hold, resume, blind
transfer, hangup — carried out by this replica's call controller
(:mod:`control_plane.calls.desk_control`), not by the phone.

Agents act on their own call only (``agents.state``, the permission of every other desk
action): the call must be ringing them (answer) or connected to them; anyone else's call is
``calls.not_found``, so call ids cannot be probed. Supervisors and team leads steer the calls
of their tenant (``agents.supervise``, the permission of forcing an agent's state), team
leads only those of their team's agents. A call in the wrong state for the action is a 409
``calls.wrong_state`` saying the phase and hold state it is in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.acd.model import AgentRef
from control_plane.api.agent_routes import own_agent
from control_plane.api.calls_routes import CALLS
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.errors import (
    ApiError,
    DependencyUnavailable,
    InvalidBody,
    PermissionDenied,
    ResourceNotFound,
)
from control_plane.api.routes import RouteTable, body, principal, reply
from control_plane.auth.principal import Principal, require_scope
from control_plane.calls import desk_control as dc
from control_plane.calls.controller import CallController
from control_plane.calls.session import CallSession
from control_plane.db.errors import NotFound
from control_plane.db.repos import entities as e

ROUTES = RouteTable()
_AGENT = r"/api/v1/agent/calls/{call_id:[^/]+}"
_SUPERVISOR = r"/api/v1/calls/{call_id:[^/]+}"
_TARGET = r"^[A-Za-z0-9+][A-Za-z0-9._+-]{0,63}$"


class CallNotFound(ApiError):
    """No such live call on this replica within the caller's reach."""

    status, error_id, default_message = 404, "calls.not_found", "no such live call"


class CallWrongState(ApiError):
    """The call is not in a state that allows the action (details: phase, on_hold)."""

    status, error_id, default_message = 409, "calls.wrong_state", "wrong call state"


class TransferTargetUnknown(ApiError):
    """The transfer names a queue or seat the tenant does not have."""

    status, error_id = 400, "calls.transfer_target_unknown"
    default_message = "unknown transfer target"


class RemoteAnswerUnavailable(ApiError):
    """The ringing seat sent no tagged ringing answer yet: there is no dialog to ask in."""

    status, error_id = 409, "calls.remote_answer_unavailable"
    default_message = "the seat cannot be asked to answer yet"


class RemoteAnswerRefused(ApiError):
    """The seat refused the remote-answer request (``details.sip_status``)."""

    status, error_id = 409, "calls.remote_answer_refused"
    default_message = "the seat refused to answer remotely"


class RemoteAnswerUnanswered(ApiError):
    """The seat accepted the request but did not answer in time."""

    status, error_id = 409, "calls.remote_answer_unanswered"
    default_message = "the seat did not answer"


class CallMediaFailed(ApiError):
    """RTPengine refused the media change; the call is as it was."""

    status, error_id, default_message = 503, "calls.media_failed", "media server refused"


_BY_ID: dict[str, type[ApiError]] = {cls.error_id: cls for cls in (
    CallNotFound, CallWrongState, TransferTargetUnknown, RemoteAnswerUnavailable,
    RemoteAnswerRefused, RemoteAnswerUnanswered, CallMediaFailed)}
_ERRORS = (CallNotFound, CallWrongState, CallMediaFailed, DependencyUnavailable, InvalidBody)
_ANSWER_ERRORS = (*_ERRORS, RemoteAnswerUnavailable, RemoteAnswerRefused,
                  RemoteAnswerUnanswered)
_TRANSFER_ERRORS = (*_ERRORS, TransferTargetUnknown)


class TransferIn(BaseModel):
    """A blind transfer: to a queue of the tenant, a seat of the tenant, or a number."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["queue", "seat", "number"]
    target: Annotated[str, Field(pattern=_TARGET, description="queue id, seat or number")]


class CallControlled(BaseModel):
    """The call after the action."""

    call_id: str
    action: str
    phase: str = Field(description="answering, ivr, queued, connected, voicemail, ended")
    on_hold: bool
    agent: str = Field(description="the connected agent's id ('' when none)")


Action = Callable[[CallSession], Awaitable[dc.CallView]]


def _controller(request: web.Request) -> CallController:
    service = request.app.get(CALLS)
    if service is None:
        raise DependencyUnavailable("call controller", "this replica runs no call controller")
    return service.controller


def _call_id(request: web.Request) -> str:
    call_id = request.match_info["call_id"]
    if len(call_id) > 255:
        raise InvalidBody("invalid request: call_id: longer than 255 characters",
                          details={"field": "call_id"})
    return call_id


def _api_error(exc: dc.DeskControlError) -> ApiError:
    cls = _BY_ID.get(exc.error_id, CallWrongState)
    return cls(str(exc), details=exc.details)


async def _run(request: web.Request, action: str, session: CallSession,
               work: Action) -> web.Response:
    try:
        done = await work(session)
    except dc.DeskControlError as exc:
        raise _api_error(exc) from exc
    return reply(CallControlled(call_id=done.call_id, action=action, phase=done.phase,
                                on_hold=done.on_hold, agent=done.agent))


def _own_call(request: web.Request) -> tuple[CallSession, AgentRef]:
    tenant, agent_id = own_agent(principal(request))
    agent = AgentRef(tenant, str(agent_id))
    try:
        return dc.agent_call(_controller(request), _call_id(request), agent), agent
    except dc.DeskControlError as exc:
        raise _api_error(exc) from exc


async def _steered_call(request: web.Request) -> CallSession:
    """A call of the supervisor's tenant; a team lead's only with an agent of their team."""
    who: Principal = principal(request)
    call_id = _call_id(request)
    try:
        session = dc.tenant_call(_controller(request), call_id,
                                 None if who.is_operator else who.tenant)
    except dc.DeskControlError as exc:
        raise _api_error(exc) from exc
    agent = session.record.agent
    team_id: int | None = None
    if agent.isdigit():
        try:
            row = await request.app[CONFIG_DB].run(
                lambda s: e.agents.get(s, session.route.tenant, int(agent)))
            team_id = row.team_id
        except (ResourceNotFound, NotFound):  # an agent no longer configured: no team
            team_id = None
    try:
        require_scope(who, tenant=session.route.tenant, team_id=team_id)
    except (PermissionDenied, ResourceNotFound) as exc:
        raise CallNotFound(f"no live call {call_id!r} within your reach") from exc
    return session


def _transfer(request: web.Request) -> Action:
    wanted = body(request, TransferIn)

    async def work(session: CallSession) -> dc.CallView:
        return await dc.transfer(session, kind=wanted.kind, target=wanted.target)
    return work


# ----- the agent's own call -----

_TAGS = ("agent desk",)


@ROUTES.post(_AGENT + "/answer", permission="agents.state", summary="Answer a ringing call",
             tags=_TAGS, response=CallControlled, errors=_ANSWER_ERRORS)
async def agent_answer_call(request: web.Request) -> web.Response:
    """Make the agent's ringing seat answer (SIP NOTIFY ``Event: talk`` in the offer's early
    dialog); returns once the call is connected."""
    session, agent = _own_call(request)
    return await _run(request, "answer", session, lambda s: dc.answer(s, agent))


@ROUTES.post(_AGENT + "/hold", permission="agents.state", summary="Put the call on hold",
             tags=_TAGS, response=CallControlled, errors=_ERRORS)
async def agent_hold_call(request: web.Request) -> web.Response:
    """Music to the caller; the agent is no longer heard. Counted as hold time."""
    session, _ = _own_call(request)
    return await _run(request, "hold", session, dc.hold)


@ROUTES.post(_AGENT + "/resume", permission="agents.state", summary="Resume a held call",
             tags=_TAGS, response=CallControlled, errors=_ERRORS)
async def agent_resume_call(request: web.Request) -> web.Response:
    """Stop the music; caller and agent hear each other again."""
    session, _ = _own_call(request)
    return await _run(request, "resume", session, dc.resume)


@ROUTES.post(_AGENT + "/hangup", permission="agents.state", summary="Hang up the call",
             tags=_TAGS, response=CallControlled, errors=_ERRORS)
async def agent_hangup_call(request: web.Request) -> web.Response:
    """End both legs; the call's records say the agent hung up."""
    session, _ = _own_call(request)
    return await _run(request, "hangup", session, dc.hangup)


@ROUTES.post(_AGENT + "/transfer", permission="agents.state",
             summary="Blind-transfer the call", tags=_TAGS, body=TransferIn,
             response=CallControlled, errors=_TRANSFER_ERRORS)
async def agent_transfer_call(request: web.Request) -> web.Response:
    """Send the caller to a queue (a new queue segment), a seat or a number; the agent is
    released at once and the caller hears music while the target rings."""
    session, _ = _own_call(request)
    return await _run(request, "transfer", session, _transfer(request))


# ----- supervisors: any call of their tenant (team leads: their team's) -----

_SUP_TAGS = ("calls",)


@ROUTES.post(_SUPERVISOR + "/hold", permission="agents.supervise",
             summary="Put an agent's call on hold", tags=_SUP_TAGS, response=CallControlled,
             errors=_ERRORS)
async def supervisor_hold_call(request: web.Request) -> web.Response:
    """As the agent's hold, for a call of the tenant (a team lead: of their team)."""
    return await _run(request, "hold", await _steered_call(request), dc.hold)


@ROUTES.post(_SUPERVISOR + "/resume", permission="agents.supervise",
             summary="Resume an agent's held call", tags=_SUP_TAGS, response=CallControlled,
             errors=_ERRORS)
async def supervisor_resume_call(request: web.Request) -> web.Response:
    """As the agent's resume."""
    return await _run(request, "resume", await _steered_call(request), dc.resume)


@ROUTES.post(_SUPERVISOR + "/hangup", permission="agents.supervise",
             summary="Hang up an agent's call", tags=_SUP_TAGS, response=CallControlled,
             errors=_ERRORS)
async def supervisor_hangup_call(request: web.Request) -> web.Response:
    """End both legs; the records say a supervisor hung up."""
    return await _run(request, "hangup", await _steered_call(request),
                      lambda s: dc.hangup(s, cause="supervisor"))


@ROUTES.post(_SUPERVISOR + "/transfer", permission="agents.supervise",
             summary="Blind-transfer an agent's call", tags=_SUP_TAGS, body=TransferIn,
             response=CallControlled, errors=_TRANSFER_ERRORS)
async def supervisor_transfer_call(request: web.Request) -> web.Response:
    """As the agent's blind transfer."""
    return await _run(request, "transfer", await _steered_call(request), _transfer(request))
