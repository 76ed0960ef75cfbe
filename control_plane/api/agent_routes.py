"""The agent's own actions on their ACD state: log in and out, ready, pause with a reason
of the tenant's list, end wrap-up, and close a call with a disposition and notes.

The caller must be linked to an agent (``users.agent_id``); every action acts on that agent
only. Actions reach the ACD through the :class:`~control_plane.api.agent_ports.AgentDesk`
the composition root attached; without one the API answers 503 (``dependency.unavailable``).
A refusal by the ACD is a 409 ``agent.action_refused`` with its reason code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.acd.model import AgentProfile, AgentRef
from control_plane.api.agent_acd_config import agent_profile
from control_plane.api.agent_ports import DESK, AgentDesk, AgentStatus, DeskResult, agent_ref
from control_plane.api.config_db import CONFIG_DB, ConfigDb
from control_plane.api.config_models import CODE
from control_plane.api.errors import (
    ApiError,
    DependencyUnavailable,
    InvalidBody,
    PermissionDenied,
    ResourceNotFound,
)
from control_plane.api.routes import RouteTable, body, principal, reply
from control_plane.auth.principal import Principal
from control_plane.db.repos import api_config
from control_plane.db.repos import entities as e

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ROUTES = RouteTable()
_TAGS = ("agent desk",)


class AgentActionRefused(ApiError):
    """The ACD refused the action (``details.refusal`` says why); nothing changed."""

    status, error_id, default_message = 409, "agent.action_refused", "action refused"


class StatusView(BaseModel):
    """The agent's ACD state after the action."""

    agent_id: int
    state: str
    pause_reason: str | None
    note: str | None

    @classmethod
    def of(cls, status: AgentStatus) -> StatusView:
        """From the desk's answer."""
        return cls(agent_id=int(status.agent.agent), state=status.state,
                   pause_reason=status.pause_reason, note=status.note)


class LoginIn(BaseModel):
    """Log in ready, or paused with a reason code."""

    model_config = ConfigDict(extra="forbid")

    pause_reason: Annotated[str | None, Field(pattern=CODE)] = None


class PauseIn(BaseModel):
    """A pause reason code of the tenant's list (GET /api/v1/pause-reasons)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(pattern=CODE)]


class DispositionIn(BaseModel):
    """How the call ended for the business, notes, and the customer to file the notes on."""

    model_config = ConfigDict(extra="forbid")

    disposition: Annotated[str, Field(pattern=CODE)]
    notes: Annotated[str | None, Field(max_length=20_000)] = None
    customer_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None


ERRORS: tuple[type[ApiError], ...] = (AgentActionRefused, DependencyUnavailable)


def desk_of(request: web.Request) -> AgentDesk:
    """The attached desk, or 503."""
    desk = request.app.get(DESK)
    if desk is None:
        raise DependencyUnavailable("acd", "no ACD engine is attached to this process")
    return desk


def answer(result: DeskResult) -> web.Response:
    """The desk's answer as a response: the state, or 409 with the refusal."""
    if isinstance(result, AgentStatus):
        return reply(StatusView.of(result))
    raise AgentActionRefused(result.reason, details={"refusal": result.code.value})


def own_agent(who: Principal) -> tuple[str, int]:
    """The caller's tenant and agent id; 403 when the user is not an agent."""
    if who.agent_id is None or who.tenant is None:
        raise PermissionDenied("this user is not linked to an agent",
                               details={"reason": "not_an_agent"})
    return who.tenant, who.agent_id


def field_error(field: str, message: str, kind: str) -> InvalidBody:
    """A 400 on one field of the body."""
    return InvalidBody(f"invalid request body: {field}: {message}", details={
        "field": field, "errors": [{"field": field, "message": message, "type": kind}]})


async def check_reason(db: ConfigDb, tenant: str, reason: str | None) -> None:
    """400 on ``reason`` unless it is an active pause reason of the tenant."""
    if reason is not None and reason not in await db.run(
            lambda s: api_config.pause_reason_codes(s, tenant)):
        raise field_error("reason", f"no active pause reason {reason!r} in this tenant",
                          "unknown_pause_reason")


async def load_profile(db: ConfigDb, tenant: str, agent_id: int) -> AgentProfile:
    """The agent's routing profile from the configuration (skills by name)."""
    def work(s: Session) -> tuple[bool, AgentProfile]:
        agent = e.agents.get(s, tenant, agent_id)
        members = api_config.agent_memberships(s, tenant, agent_id)
        return agent.active, agent_profile(
            api_config.agent_skill_names(s, tenant, agent_id),
            order=min((m.position for m in members), default=0),
            weight=float(max((m.weight for m in members), default=1)),
            max_concurrent=agent.max_concurrent_offers)
    active, profile = await db.run(work)
    if not active:
        raise AgentActionRefused("the agent is deactivated", details={"refusal": "inactive"})
    return profile


async def log_in(request: web.Request, ref: AgentRef, reason: str | None) -> web.Response:
    """Log ``ref`` in with its configured profile (shared with the supervisors' force)."""
    db = request.app[CONFIG_DB]
    await check_reason(db, ref.tenant, reason)
    profile = await load_profile(db, ref.tenant, int(ref.agent))
    return answer(await desk_of(request).log_in(ref, profile, pause_reason=reason))


@ROUTES.post("/api/v1/agent/login", permission="agents.state", summary="Log in to the ACD",
             tags=_TAGS, body=LoginIn, response=StatusView, errors=ERRORS)
async def agent_log_in(request: web.Request) -> web.Response:
    """Start taking calls: ready, or paused with a reason."""
    tenant, agent_id = own_agent(principal(request))
    return await log_in(request, agent_ref(tenant, agent_id),
                        body(request, LoginIn).pause_reason)


@ROUTES.post("/api/v1/agent/logout", permission="agents.state",
             summary="Log out of the ACD", tags=_TAGS, response=StatusView, errors=ERRORS)
async def agent_log_out(request: web.Request) -> web.Response:
    """Stop taking calls (refused while ringing or on a call)."""
    return answer(await desk_of(request).log_out(agent_ref(*own_agent(principal(request)))))


@ROUTES.post("/api/v1/agent/ready", permission="agents.state", summary="Go ready",
             tags=_TAGS, response=StatusView, errors=ERRORS)
async def agent_ready(request: web.Request) -> web.Response:
    """Available for calls again, after a pause or wrap-up."""
    return answer(await desk_of(request).ready(agent_ref(*own_agent(principal(request)))))


@ROUTES.post("/api/v1/agent/pause", permission="agents.state", summary="Pause",
             tags=_TAGS, body=PauseIn, response=StatusView, errors=ERRORS)
async def agent_pause(request: web.Request) -> web.Response:
    """Pause with a reason code of the tenant's list (during a call: after it)."""
    tenant, agent_id = own_agent(principal(request))
    reason = body(request, PauseIn).reason
    await check_reason(request.app[CONFIG_DB], tenant, reason)
    return answer(await desk_of(request).pause(agent_ref(tenant, agent_id), reason))


@ROUTES.post("/api/v1/agent/wrap-up/end", permission="agents.state",
             summary="End wrap-up", tags=_TAGS, response=StatusView, errors=ERRORS)
async def agent_end_wrap_up(request: web.Request) -> web.Response:
    """After-call work done: ready (or the pause asked for during the call)."""
    return answer(await desk_of(request).end_wrap_up(
        agent_ref(*own_agent(principal(request)))))


@ROUTES.get("/api/v1/agent/status", permission="agents.state",
            summary="The agent's own state", tags=_TAGS, response=StatusView, errors=ERRORS)
async def agent_status(request: web.Request) -> web.Response:
    """The caller's ACD state now."""
    return answer(await desk_of(request).status(agent_ref(*own_agent(principal(request)))))


@ROUTES.post(r"/api/v1/agent/calls/{call_id:[^/]+}/disposition",
             permission="agents.state", summary="Set a call's disposition and notes",
             tags=_TAGS, body=DispositionIn, response=StatusView,
             errors=(*ERRORS, ResourceNotFound))
async def agent_set_disposition(request: web.Request) -> web.Response:
    """Close one of the agent's recent calls with a disposition code and notes; with a
    ``customer_id``, the notes are also filed on the customer for the next screen pop."""
    who = principal(request)
    tenant, agent_id = own_agent(who)
    new, call_id = body(request, DispositionIn), request.match_info["call_id"]
    if len(call_id) > 255:
        raise field_error("call_id", "longer than 255 characters", "string_too_long")
    result = await desk_of(request).set_disposition(agent_ref(tenant, agent_id), call_id,
                                                    new.disposition, new.notes)
    if isinstance(result, AgentStatus) and new.customer_id is not None:
        text = f"[{new.disposition}] {new.notes}" if new.notes else f"[{new.disposition}]"
        note = {"customer_id": new.customer_id, "call_id": call_id, "body": text,
                "author_id": who.user_id}
        await request.app[CONFIG_DB].run(lambda s: e.notes.create(s, tenant, note))
    return answer(result)
