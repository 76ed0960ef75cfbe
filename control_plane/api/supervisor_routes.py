"""Supervisor actions on agents: force a state, move between queues, change skills live.

Team leads act on their own team only (supervisors and admins on the whole tenant). The
configuration change (membership, skills) is committed first; the answer then says whether
the ACD applied it at once (``live``) or why not (the agent not logged in, or on a call:
the change applies at their next login).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.api import agent_routes as ar
from control_plane.api.agent_ports import DESK, AgentStatus, DeskResult, agent_ref
from control_plane.api.config_crud import TenantQuery, path_id, request_tenant
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.config_models import CODE, AgentSkillView, Id, MemberView
from control_plane.api.errors import ResourceNotFound
from control_plane.api.routes import RouteTable, body, principal, reply
from control_plane.auth.principal import Principal, require_scope
from control_plane.db.repos import api_agents
from control_plane.db.repos import entities as e

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ROUTES = RouteTable()
_TAGS = ("supervisor",)
_ONE = r"/api/v1/agents/{id:\d+}"


class ForceIn(BaseModel):
    """The state to put the agent in; ``reason`` is required for ``paused``."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["ready", "paused", "logged_out"]
    reason: Annotated[str | None, Field(pattern=CODE)] = None


class MoveIn(BaseModel):
    """Move the agent from one queue to another (penalty, position, weight kept)."""

    model_config = ConfigDict(extra="forbid")

    from_queue_id: Id
    to_queue_id: Id


class SkillLevel(BaseModel):
    """One skill at a proficiency."""

    model_config = ConfigDict(extra="forbid")

    skill_id: Id
    proficiency: Annotated[int, Field(ge=1, le=5)]


class SkillsIn(BaseModel):
    """The agent's whole new skill set."""

    model_config = ConfigDict(extra="forbid")

    skills: Annotated[list[SkillLevel], Field(max_length=100)]


class LiveChange(BaseModel):
    """Whether the ACD applied the change now, and why not."""

    applied: bool
    state: str | None
    refusal: str | None
    reason: str | None


class MoveView(BaseModel):
    """The agent's new membership, and the live effect."""

    member: MemberView
    live: LiveChange


class SkillsView(BaseModel):
    """The agent's new skills, and the live effect."""

    skills: list[AgentSkillView]
    live: LiveChange


async def _target(request: web.Request) -> tuple[Principal, str, int]:
    """The caller, tenant and agent id of a supervisor route; scope checked on the row."""
    who, tenant, agent_id = principal(request), request_tenant(request), path_id(request)
    row = await request.app[CONFIG_DB].run(lambda s: e.agents.get(s, tenant, agent_id))
    require_scope(who, tenant=row.tenant, team_id=row.team_id)
    return who, tenant, agent_id


def _live(result: DeskResult) -> LiveChange:
    if isinstance(result, AgentStatus):
        return LiveChange(applied=True, state=result.state, refusal=None, reason=None)
    return LiveChange(applied=False, state=None, refusal=result.code.value,
                      reason=result.reason)


@ROUTES.post(_ONE + "/state", permission="agents.supervise", summary="Force an agent's state",
             tags=_TAGS, query=TenantQuery, body=ForceIn, response=ar.StatusView,
             errors=(*ar.ERRORS, ResourceNotFound))
async def force_agent_state(request: web.Request) -> web.Response:
    """Put the agent in ``ready`` (logging them in if needed, ending a wrap-up), ``paused``
    with a reason, or ``logged_out``."""
    _who, tenant, agent_id = await _target(request)
    want, ref = body(request, ForceIn), agent_ref(tenant, agent_id)
    if (want.state == "paused") != (want.reason is not None):
        raise ar.field_error("reason", "give a reason exactly when the state is paused",
                             "reason_for_pause")
    desk = ar.desk_of(request)
    state = (await desk.status(ref)).state
    if want.state == "logged_out":
        return ar.answer(await desk.log_out(ref))
    if state == "logged_out":
        return await ar.log_in(request, ref, want.reason)
    if want.state == "paused":
        assert want.reason is not None  # checked above
        await ar.check_reason(request.app[CONFIG_DB], tenant, want.reason)
        return ar.answer(await desk.pause(ref, want.reason))
    if state == "wrap_up":
        return ar.answer(await desk.end_wrap_up(ref))
    return ar.answer(await desk.ready(ref))


@ROUTES.post(_ONE + "/move", permission="agents.supervise",
             summary="Move an agent between queues", tags=_TAGS, query=TenantQuery,
             body=MoveIn, response=MoveView, errors=(*ar.ERRORS, ResourceNotFound))
async def move_agent(request: web.Request) -> web.Response:
    """Make the agent serve ``to_queue_id`` instead of ``from_queue_id``, then refresh their
    routing profile in the ACD (its order and weight follow the memberships; which calls
    the agent takes follows their skills, as the ACD routes by skills)."""
    _who, tenant, agent_id = await _target(request)
    move = body(request, MoveIn)
    member = await request.app[CONFIG_DB].run(lambda s: MemberView.model_validate(
        api_agents.move_member(s, tenant, agent_id=agent_id, from_queue=move.from_queue_id,
                               to_queue=move.to_queue_id)))
    live = await _refresh(request, tenant, agent_id)
    return reply(MoveView(member=member, live=live))


async def _refresh(request: web.Request, tenant: str, agent_id: int) -> LiveChange:
    desk = request.app.get(DESK)
    if desk is None:
        return LiveChange(applied=False, state=None, refusal="acd_unavailable",
                          reason="no ACD engine is attached to this process")
    profile = await ar.load_profile(request.app[CONFIG_DB], tenant, agent_id)
    return _live(await desk.update_profile(agent_ref(tenant, agent_id), profile))


@ROUTES.route("PUT", _ONE + "/skills", permission="agents.supervise",
              summary="Change an agent's skills live", tags=_TAGS, query=TenantQuery,
              body=SkillsIn, response=SkillsView, errors=(*ar.ERRORS, ResourceNotFound))
async def change_agent_skills(request: web.Request) -> web.Response:
    """Replace the agent's skills and route them by the new ones at once when they are
    ready or paused (otherwise from their next login)."""
    _who, tenant, agent_id = await _target(request)
    wanted = {s.skill_id: s.proficiency for s in body(request, SkillsIn).skills}

    def work(s: Session) -> list[AgentSkillView]:
        rows = api_agents.replace_agent_skills(s, tenant, agent_id=agent_id, skills=wanted)
        return [AgentSkillView.model_validate(r) for r in rows]
    skills = await request.app[CONFIG_DB].run(work)
    return reply(SkillsView(skills=skills, live=await _refresh(request, tenant, agent_id)))
