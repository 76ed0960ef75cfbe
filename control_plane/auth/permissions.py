"""Roles and the permission matrix: which role may do what, in one place.

A permission names a resource and an action (``queues.read``). A role grants it within the
user's own tenant; only ``super_admin`` (the operator) acts across tenants. Route
declarations name one permission each; declaring one that is not listed here is an error,
so the matrix below is the whole truth about who may call what. Object-level limits (an
agent only their own resources, a team lead only their team) are checked by the handlers
with :mod:`control_plane.auth.principal`.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user is to the center; every role but ``super_admin`` belongs to one tenant."""

    AGENT = "agent"
    TEAM_LEAD = "team_lead"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    ANALYST = "analyst"
    SUPER_ADMIN = "super_admin"


#: Every permission a route may declare, with what it lets a holder do.
PERMISSIONS: dict[str, str] = {
    "auth.self": "see and end one's own session",
    "agents.read": "see agents, their state and skills",
    "agents.write": "create, change and delete agents and their skills",
    "agents.state": "change one's own agent state (ready, pause, wrap-up, disposition)",
    "agents.supervise": "force an agent's state, move agents between queues, change skills live",
    "calls.read": "see calls and their outcome",
    "calls.monitor": "listen to, whisper to or barge into a live call",
    "customers.read": "see customers, contacts and interactions",
    "customers.write": "change customers, contacts and interactions",
    "customers.import": "import customers from CSV or Excel files",
    "customers.export": "export customers to CSV or Excel (analysts: personal data masked)",
    "dids.read": "see DIDs and inbound routes",
    "dids.write": "change DIDs and inbound routes",
    "ivr.read": "see IVR flows",
    "ivr.write": "change IVR flows",
    "queues.read": "see queues and their settings",
    "queues.write": "change queues and their settings",
    "recordings.read": "list and play call recordings",
    "seats.read": "see the seat contacts registered at the province cores",
    "seats.write": "change seats and their SIP credentials",
    "skills.read": "see skills",
    "skills.write": "change skills",
    "stats.read": "see live and historical queue and agent statistics",
    "tenants.read": "see tenants",
    "tenants.write": "create and change tenants",
    "users.read": "see users of the center",
    "users.write": "create, change and deactivate users",
}

_AGENT = frozenset({
    "auth.self", "agents.state", "calls.read", "customers.read", "customers.write",
    "recordings.read", "stats.read", "queues.read", "skills.read",
})
# A team lead sees and steers their team (object-level checks narrow it to the team).
_TEAM_LEAD = _AGENT | {"agents.read", "agents.supervise", "calls.monitor", "users.read"}
_SUPERVISOR = _TEAM_LEAD | {"dids.read", "ivr.read", "customers.export", "customers.import"}
_ADMIN = _SUPERVISOR | {
    "agents.write", "dids.write", "ivr.write", "queues.write", "seats.write",
    "skills.write", "users.write",
}
# Analysts read figures and call records without caller PII (see Principal.no_pii); they do
# not take calls, so no agent state, customers or recordings. Their customer export has
# names, e-mails and numbers masked.
_ANALYST = frozenset({
    "auth.self", "agents.read", "calls.read", "customers.export", "dids.read", "ivr.read",
    "queues.read", "skills.read", "stats.read",
})

#: The matrix: role -> the permissions it grants.
MATRIX: dict[Role, frozenset[str]] = {
    Role.AGENT: _AGENT,
    Role.TEAM_LEAD: frozenset(_TEAM_LEAD),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
    Role.ANALYST: _ANALYST,
    Role.SUPER_ADMIN: frozenset(PERMISSIONS),
}

#: Roles that never see a caller's number, name or other personal data.
NO_PII_ROLES = frozenset({Role.ANALYST})

#: Roles an admin of a tenant may hand out (never super_admin).
TENANT_ROLES = frozenset(r for r in Role if r is not Role.SUPER_ADMIN)


class UnknownPermissionError(ValueError):
    """A route declares a permission the matrix does not list."""


def check_known(permission: str) -> str:
    """``permission`` itself if the matrix knows it; raises otherwise (at declaration time)."""
    if permission not in PERMISSIONS:
        raise UnknownPermissionError(
            f"permission {permission!r} is not in control_plane.auth.permissions.PERMISSIONS")
    return permission


def grants(role: Role, permission: str) -> bool:
    """True when ``role`` holds ``permission`` (in its tenant; everywhere for super_admin)."""
    return permission in MATRIX[role]
