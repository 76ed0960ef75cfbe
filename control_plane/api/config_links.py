"""Links between configuration rows: agent skills (proficiency 1-5), queue skills, queue
membership, and the inbound route of each DID.

Each link is set with PUT (create or change, idempotent) and removed with DELETE; both
ends must belong to the acting tenant (a foreign id is reported as not found).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from control_plane.api import config_models as cm
from control_plane.api.config_crud import TenantQuery, path_id, request_tenant
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.config_routes import own_team
from control_plane.api.errors import ResourceNotFound
from control_plane.api.routes import RouteTable, body, principal, reply
from control_plane.db.repos import acd, api_config, routing
from control_plane.db.repos import entities as e

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from control_plane.db import models as m

ROUTES = RouteTable()

_AGENT = r"/api/v1/agents/{id:\d+}/skills"
_QUEUE_SKILLS = r"/api/v1/queues/{id:\d+}/skills"
_MEMBERS = r"/api/v1/queues/{id:\d+}/members"
_ROUTE = r"/api/v1/dids/{id:\d+}/route"
_NF = (ResourceNotFound,)


def _gone(found: bool, what: str) -> web.Response:
    if not found:
        raise ResourceNotFound(f"no such {what}")
    return web.Response(status=204)


@ROUTES.get(_AGENT, permission="agents.read", summary="List an agent's skills",
            tags=("agents",), query=TenantQuery, response=cm.AgentSkillList, errors=_NF)
async def list_agent_skills(request: web.Request) -> web.Response:
    """The agent's skills with their proficiency."""
    who, tenant, agent_id = principal(request), request_tenant(request), path_id(request)

    def work(s: Session) -> cm.AgentSkillList:
        own_team(who, e.agents.get(s, tenant, agent_id))
        items = [cm.AgentSkillView.model_validate(r)
                 for r in api_config.agent_skills(s, tenant, agent_id)]
        return cm.AgentSkillList(count=len(items), items=items)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.route("PUT", _AGENT + r"/{skill_id:\d+}", permission="agents.write",
              summary="Give an agent a skill", tags=("agents",), query=TenantQuery,
              body=cm.AgentSkillIn, response=cm.AgentSkillView, errors=_NF)
async def set_agent_skill(request: web.Request) -> web.Response:
    """Give the agent the skill at a proficiency from 1 to 5, or change it."""
    tenant, new = request_tenant(request), body(request, cm.AgentSkillIn)
    agent_id, skill_id = path_id(request), path_id(request, "skill_id")
    return reply(await request.app[CONFIG_DB].run(lambda s: cm.AgentSkillView.model_validate(
        acd.set_agent_skill(s, tenant, agent_id=agent_id, skill_id=skill_id,
                            proficiency=new.proficiency))))


@ROUTES.route("DELETE", _AGENT + r"/{skill_id:\d+}", permission="agents.write",
              summary="Take a skill from an agent", tags=("agents",), query=TenantQuery,
              status=204, errors=_NF)
async def remove_agent_skill(request: web.Request) -> web.Response:
    """Take the skill away; 404 if the agent did not have it."""
    tenant, agent_id, skill_id = request_tenant(request), path_id(request), \
        path_id(request, "skill_id")
    found = await request.app[CONFIG_DB].run(
        lambda s: acd.remove_agent_skill(s, tenant, agent_id=agent_id, skill_id=skill_id))
    return _gone(found, "agent skill")


@ROUTES.get(_QUEUE_SKILLS, permission="queues.read", summary="List a queue's skills",
            tags=("queues",), query=TenantQuery, response=cm.QueueSkillList, errors=_NF)
async def list_queue_skills(request: web.Request) -> web.Response:
    """The skills the queue's calls need, with the least proficiency accepted."""
    tenant, queue_id = request_tenant(request), path_id(request)

    def work(s: Session) -> cm.QueueSkillList:
        items = [cm.QueueSkillView.model_validate(r)
                 for r in api_config.queue_skills(s, tenant, queue_id)]
        return cm.QueueSkillList(count=len(items), items=items)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.route("PUT", _QUEUE_SKILLS + r"/{skill_id:\d+}", permission="queues.write",
              summary="Require a skill in a queue", tags=("queues",), query=TenantQuery,
              body=cm.QueueSkillIn, response=cm.QueueSkillView, errors=_NF)
async def set_queue_skill(request: web.Request) -> web.Response:
    """Require the skill of the queue's agents, at least ``min_proficiency``."""
    tenant, new = request_tenant(request), body(request, cm.QueueSkillIn)
    queue_id, skill_id = path_id(request), path_id(request, "skill_id")
    return reply(await request.app[CONFIG_DB].run(lambda s: cm.QueueSkillView.model_validate(
        acd.set_queue_skill(s, tenant, queue_id=queue_id, skill_id=skill_id,
                            min_proficiency=new.min_proficiency))))


@ROUTES.route("DELETE", _QUEUE_SKILLS + r"/{skill_id:\d+}", permission="queues.write",
              summary="Drop a queue's skill", tags=("queues",), query=TenantQuery,
              status=204, errors=_NF)
async def remove_queue_skill(request: web.Request) -> web.Response:
    """Stop requiring the skill; 404 if the queue did not require it."""
    tenant, queue_id, skill_id = request_tenant(request), path_id(request), \
        path_id(request, "skill_id")
    found = await request.app[CONFIG_DB].run(
        lambda s: acd.remove_queue_skill(s, tenant, queue_id=queue_id, skill_id=skill_id))
    return _gone(found, "queue skill")


@ROUTES.get(_MEMBERS, permission="queues.read", summary="List a queue's members",
            tags=("queues",), query=TenantQuery, response=cm.MemberList, errors=_NF)
async def list_queue_members(request: web.Request) -> web.Response:
    """The agents serving the queue, in position order."""
    tenant, queue_id = request_tenant(request), path_id(request)

    def work(s: Session) -> cm.MemberList:
        items = [cm.MemberView.model_validate(r)
                 for r in api_config.queue_members(s, tenant, queue_id)]
        return cm.MemberList(count=len(items), items=items)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.route("PUT", _MEMBERS + r"/{agent_id:\d+}", permission="queues.write",
              summary="Add an agent to a queue", tags=("queues",), query=TenantQuery,
              body=cm.MemberIn, response=cm.MemberView, errors=_NF)
async def set_queue_member(request: web.Request) -> web.Response:
    """Make the agent serve the queue, or change their penalty, position or weight."""
    tenant, new = request_tenant(request), body(request, cm.MemberIn)
    queue_id, agent_id = path_id(request), path_id(request, "agent_id")
    return reply(await request.app[CONFIG_DB].run(lambda s: cm.MemberView.model_validate(
        acd.set_queue_member(s, tenant, queue_id=queue_id, agent_id=agent_id,
                             penalty=new.penalty, position=new.position, weight=new.weight))))


@ROUTES.route("DELETE", _MEMBERS + r"/{agent_id:\d+}", permission="queues.write",
              summary="Remove an agent from a queue", tags=("queues",), query=TenantQuery,
              status=204, errors=_NF)
async def remove_queue_member(request: web.Request) -> web.Response:
    """Stop the agent serving the queue; 404 if they did not."""
    tenant, queue_id, agent_id = request_tenant(request), path_id(request), \
        path_id(request, "agent_id")
    found = await request.app[CONFIG_DB].run(
        lambda s: acd.remove_queue_member(s, tenant, queue_id=queue_id, agent_id=agent_id))
    return _gone(found, "queue member")


def _route_view(route: m.InboundRoute) -> cm.RouteView:
    kind, target = routing.route_target(route)
    return cm.RouteView(did_id=route.did_id, kind=kind, target_id=target)


@ROUTES.get(_ROUTE, permission="dids.read", summary="Read a DID's inbound route",
            tags=("dids",), query=TenantQuery, response=cm.RouteView, errors=_NF)
async def get_did_route(request: web.Request) -> web.Response:
    """Where calls to the number go; 404 when it is not routed."""
    tenant, did_id = request_tenant(request), path_id(request)

    def work(s: Session) -> cm.RouteView:
        route = api_config.did_route(s, tenant, did_id)
        if route is None:
            raise ResourceNotFound("the DID has no inbound route")
        return _route_view(route)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.route("PUT", _ROUTE, permission="dids.write", summary="Route a DID",
              tags=("dids",), query=TenantQuery, body=cm.RouteIn, response=cm.RouteView,
              errors=_NF)
async def set_did_route(request: web.Request) -> web.Response:
    """Send calls to the number to an IVR flow, a queue, an agent or a queue's voicemail."""
    tenant, did_id, new = request_tenant(request), path_id(request), body(request, cm.RouteIn)
    return reply(await request.app[CONFIG_DB].run(lambda s: _route_view(routing.set_route(
        s, tenant, did_id=did_id, kind=new.kind, target_id=new.target_id))))


@ROUTES.route("DELETE", _ROUTE, permission="dids.write", summary="Unroute a DID",
              tags=("dids",), query=TenantQuery, status=204, errors=_NF)
async def clear_did_route(request: web.Request) -> web.Response:
    """Remove the route (calls to the number are then refused); 404 if it had none."""
    tenant, did_id = request_tenant(request), path_id(request)
    found = await request.app[CONFIG_DB].run(
        lambda s: routing.clear_route(s, tenant, did_id=did_id))
    return _gone(found, "inbound route")
