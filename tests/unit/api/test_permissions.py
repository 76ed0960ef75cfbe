"""The permission matrix: who may do what, as specified."""

from __future__ import annotations

import pytest

from control_plane.auth.permissions import (
    MATRIX,
    NO_PII_ROLES,
    PERMISSIONS,
    TENANT_ROLES,
    Role,
    UnknownPermissionError,
    check_known,
    grants,
)

# The specification, role by role; a change to the matrix must change this table too.
EXPECTED: dict[Role, set[str]] = {
    Role.AGENT: {"auth.self", "agents.state", "calls.read", "customers.read",
                 "customers.write", "recordings.read", "stats.read", "queues.read",
                 "skills.read"},
    Role.ANALYST: {"auth.self", "agents.read", "calls.read", "customers.export", "dids.read",
                   "ivr.read", "queues.read", "skills.read", "stats.read"},
}
EXPECTED[Role.TEAM_LEAD] = EXPECTED[Role.AGENT] | {"agents.read", "agents.supervise",
                                                  "calls.monitor", "users.read"}
EXPECTED[Role.SUPERVISOR] = EXPECTED[Role.TEAM_LEAD] | {"dids.read", "ivr.read",
                                                       "customers.export",
                                                       "customers.import"}
EXPECTED[Role.ADMIN] = EXPECTED[Role.SUPERVISOR] | {
    "agents.write", "dids.write", "ivr.write", "queues.write", "seats.write", "skills.write",
    "users.write"}
EXPECTED[Role.SUPER_ADMIN] = set(PERMISSIONS)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_exactly_its_permissions(role: Role) -> None:
    assert set(MATRIX[role]) == EXPECTED[role]
    for permission in PERMISSIONS:
        assert grants(role, permission) == (permission in EXPECTED[role])


def test_operator_only_permissions() -> None:
    for permission in ("tenants.read", "tenants.write", "seats.read"):
        holders = {r for r in Role if grants(r, permission)}
        assert holders == {Role.SUPER_ADMIN}, permission


def test_analysts_never_reach_personal_data() -> None:
    assert {Role.ANALYST} == NO_PII_ROLES
    for permission in ("customers.read", "customers.write", "customers.import",
                       "recordings.read",
                       "calls.monitor", "users.read"):
        assert not grants(Role.ANALYST, permission)


def test_every_permission_is_granted_to_someone_besides_the_operator_or_is_operator_only() -> None:
    operator_only = {"tenants.read", "tenants.write", "seats.read"}
    for permission in PERMISSIONS:
        tenant_holders = {r for r in TENANT_ROLES if grants(r, permission)}
        assert bool(tenant_holders) == (permission not in operator_only), permission


def test_matrix_names_only_known_permissions() -> None:
    for perms in MATRIX.values():
        assert perms <= set(PERMISSIONS)


def test_unknown_permission_is_refused() -> None:
    assert check_known("queues.read") == "queues.read"
    with pytest.raises(UnknownPermissionError, match=r"queue\.read"):
        check_known("queue.read")
    assert Role.SUPER_ADMIN not in TENANT_ROLES
