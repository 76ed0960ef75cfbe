"""Object-level checks: tenant always, agents their own, team leads their team, no PII."""

from __future__ import annotations

import pytest

from control_plane.api.errors import PermissionDenied, ResourceNotFound
from control_plane.auth.permissions import Role
from control_plane.auth.principal import (
    REDACTED,
    Principal,
    in_scope,
    pii,
    require_permission,
    require_scope,
)

AGENT = Principal(1, "ann", "acme", Role.AGENT, team_id=1, agent_id=11)
LEAD = Principal(2, "lee", "acme", Role.TEAM_LEAD, team_id=1, agent_id=12)
SUPERVISOR = Principal(3, "sue", "acme", Role.SUPERVISOR)
ANALYST = Principal(4, "ana", "acme", Role.ANALYST)
OPERATOR = Principal(5, "op", None, Role.SUPER_ADMIN)


def test_agent_reaches_only_own_resources() -> None:
    assert in_scope(AGENT, tenant="acme", agent_id=11, team_id=1)
    assert not in_scope(AGENT, tenant="acme", agent_id=99, team_id=1)
    with pytest.raises(PermissionDenied) as denied:
        require_scope(AGENT, tenant="acme", agent_id=99)
    assert denied.value.details == {"reason": "own_resources_only"}


def test_team_lead_reaches_only_own_team() -> None:
    assert in_scope(LEAD, tenant="acme", agent_id=99, team_id=1)
    assert not in_scope(LEAD, tenant="acme", agent_id=12, team_id=2)
    with pytest.raises(PermissionDenied) as denied:
        require_scope(LEAD, tenant="acme", team_id=2)
    assert denied.value.details == {"reason": "own_team_only"}
    teamless = Principal(6, "t", "acme", Role.TEAM_LEAD)
    assert not in_scope(teamless, tenant="acme", team_id=None)


@pytest.mark.parametrize("who", [AGENT, LEAD, SUPERVISOR, ANALYST])
def test_other_tenant_is_not_found_for_everyone_but_the_operator(who: Principal) -> None:
    with pytest.raises(ResourceNotFound):
        require_scope(who, tenant="globex", agent_id=who.agent_id, team_id=who.team_id)
    with pytest.raises(ResourceNotFound):
        require_scope(who, tenant=None)
    require_scope(OPERATOR, tenant="globex", agent_id=1, team_id=9)


def test_permission_check_names_what_is_missing() -> None:
    require_permission(SUPERVISOR, "calls.monitor")
    with pytest.raises(PermissionDenied) as denied:
        require_permission(ANALYST, "customers.read")
    assert denied.value.details == {"permission": "customers.read", "role": "analyst"}


def test_pii_is_redacted_for_analysts_only() -> None:
    assert ANALYST.no_pii and not SUPERVISOR.no_pii and not OPERATOR.no_pii
    assert pii(ANALYST, "+33612345678") == REDACTED
    assert pii(SUPERVISOR, "+33612345678") == "+33612345678"
    assert pii(ANALYST, None) is None
