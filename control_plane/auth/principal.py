"""Who is calling, and the object-level checks handlers apply on top of the route permission.

The route's permission says a role may use a kind of resource at all; these helpers say
whether this user may touch this object: always within their own tenant (super_admin
excepted), an agent only their own resources, a team lead only their team's. A resource in
another tenant is reported as not found, so ids cannot be probed across tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

from control_plane.api.errors import PermissionDenied, ResourceNotFound
from control_plane.auth.permissions import NO_PII_ROLES, Role, grants

REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user of one request, as the directory knows them now."""

    user_id: int
    username: str
    tenant: str | None
    role: Role
    team_id: int | None = None
    agent_id: int | None = None

    @property
    def is_operator(self) -> bool:
        """True for the operator's super_admin, who acts across tenants."""
        return self.role is Role.SUPER_ADMIN

    @property
    def no_pii(self) -> bool:
        """True when this user must not see callers' numbers, names or other personal data."""
        return self.role in NO_PII_ROLES

    def can(self, permission: str) -> bool:
        """True when the role grants ``permission``."""
        return grants(self.role, permission)


def require_permission(principal: Principal, permission: str) -> None:
    """Raise ``permission.denied`` unless the role grants ``permission``."""
    if not principal.can(permission):
        raise PermissionDenied(
            f"role {principal.role.value} lacks permission {permission}",
            details={"permission": permission, "role": principal.role.value})


def in_tenant(principal: Principal, tenant: str | None) -> bool:
    """True when ``principal`` may see objects of ``tenant``."""
    return principal.is_operator or (tenant is not None and tenant == principal.tenant)


def require_tenant(principal: Principal, tenant: str | None) -> None:
    """Raise ``resource.not_found`` for an object of another tenant (its existence is private)."""
    if not in_tenant(principal, tenant):
        raise ResourceNotFound()


def in_scope(principal: Principal, *, tenant: str | None, agent_id: int | None = None,
             team_id: int | None = None) -> bool:
    """True when the object (its tenant, owning agent, team) is within the user's reach.

    Agents reach only objects of their own agent id; team leads only their team's; every
    other role the whole tenant.
    """
    if not in_tenant(principal, tenant):
        return False
    if principal.role is Role.AGENT:
        return principal.agent_id is not None and agent_id == principal.agent_id
    if principal.role is Role.TEAM_LEAD:
        return principal.team_id is not None and team_id == principal.team_id
    return True


def require_scope(principal: Principal, *, tenant: str | None, agent_id: int | None = None,
                  team_id: int | None = None) -> None:
    """Raise unless :func:`in_scope`: not found across tenants, ``permission.denied`` within."""
    require_tenant(principal, tenant)
    if not in_scope(principal, tenant=tenant, agent_id=agent_id, team_id=team_id):
        reason = "own_resources_only" if principal.role is Role.AGENT else "own_team_only"
        raise PermissionDenied(f"a {principal.role.value} may only act on "
                               f"{'their own' if reason == 'own_resources_only' else 'their team'}"
                               " resources", details={"reason": reason})


def pii(principal: Principal, value: str | None) -> str | None:
    """``value`` (a caller number, a name) as this user may see it: redacted for analysts."""
    if value is None or not principal.no_pii:
        return value
    return REDACTED
