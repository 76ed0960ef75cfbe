"""CRUD of the plain configuration resources: teams, skills, agents, queues, DIDs, prompts,
pause reasons and IVR flows (their versions: ``config_ivr``).

Team leads read only their own team's agents; everyone else with the permission reads the
whole tenant. Writes need the resource's ``*.write`` permission (admins).
"""

from __future__ import annotations

from typing import Any

from control_plane.api import config_models as cm
from control_plane.api.config_crud import Resource, declare, patch_of
from control_plane.api.errors import PermissionDenied
from control_plane.api.routes import RouteTable
from control_plane.auth.permissions import Role
from control_plane.auth.principal import Principal
from control_plane.db.repos import entities as e

ROUTES = RouteTable()


def _team_filter(who: Principal) -> dict[str, Any] | None:
    if who.role is not Role.TEAM_LEAD:
        return {}
    return None if who.team_id is None else {"team_id": who.team_id}


def own_team(who: Principal, row: Any) -> None:
    """Refuse a team lead a row (an agent) of another team."""
    if who.role is Role.TEAM_LEAD and (who.team_id is None or row.team_id != who.team_id):
        raise PermissionDenied("a team_lead may only act on their team resources",
                               details={"reason": "own_team_only"})


RESOURCES = (
    Resource("teams", e.teams, cm.TeamView, cm.TeamIn, patch_of(cm.TeamIn),
             read="agents.read", write="agents.write", tag="teams"),
    Resource("skills", e.skills, cm.SkillView, cm.SkillIn, patch_of(cm.SkillIn),
             read="skills.read", write="skills.write", tag="skills"),
    Resource("agents", e.agents, cm.AgentView, cm.AgentIn, patch_of(cm.AgentIn),
             read="agents.read", write="agents.write", tag="agents",
             filters={"team_id": int, "active": bool}, where=_team_filter,
             check_row=own_team),
    Resource("queues", e.queues, cm.QueueView, cm.QueueIn, patch_of(cm.QueueIn),
             read="queues.read", write="queues.write", tag="queues"),
    Resource("dids", e.dids, cm.DidView, cm.DidIn, patch_of(cm.DidIn, exclude=("number",)),
             read="dids.read", write="dids.write", tag="dids", singular="DID", plural="DIDs"),
    Resource("prompts", e.prompts, cm.PromptView, cm.PromptIn, patch_of(cm.PromptIn),
             read="ivr.read", write="ivr.write", tag="prompts"),
    # Agents read the list to pick a reason when they pause.
    Resource("pause-reasons", e.pause_reasons, cm.PauseReasonView, cm.PauseReasonIn,
             patch_of(cm.PauseReasonIn), read="agents.state", write="agents.write",
             tag="pause reasons", filters={"active": bool}),
    Resource("ivr-flows", e.ivr_flows, cm.IvrFlowView, cm.IvrFlowIn, patch_of(cm.IvrFlowIn),
             read="ivr.read", write="ivr.write", tag="ivr", singular="IVR flow",
             plural="IVR flows"),
)

for _res in RESOURCES:
    declare(ROUTES, _res)
