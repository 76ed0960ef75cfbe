"""The database itself refuses bad rows (the repositories' checks bypassed), on both engines,
and the refusal comes out as a typed error naming the constraint."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.errors import Conflict, ValidationFailed
from control_plane.db.repos.base import flush


@pytest.fixture
def acme(session: Session) -> Session:
    """The session, with tenants acme and beta, an agent and a skill in acme."""
    session.add_all([m.Tenant(id="acme", name="Acme"), m.Tenant(id="beta", name="Beta")])
    session.flush()
    session.add_all([m.Agent(id=1, tenant="acme", name="Ann"),
                     m.Skill(id=1, tenant="acme", name="fr"),
                     m.Queue(id=1, tenant="acme", name="sales")])
    session.commit()
    return session


@pytest.mark.parametrize("level", [0, 6, -1])
def test_proficiency_outside_1_to_5_is_refused(acme: Session, level: int) -> None:
    acme.add(m.AgentSkill(tenant="acme", agent_id=1, skill_id=1, proficiency=level))
    with pytest.raises(ValidationFailed) as err:
        flush(acme)
    assert err.value.constraint == "ck_agent_skills_proficiency_range"
    assert err.value.field == "proficiency"


@pytest.mark.parametrize("level", [1, 5])
def test_proficiency_bounds_are_accepted(acme: Session, level: int) -> None:
    acme.add(m.AgentSkill(tenant="acme", agent_id=1, skill_id=1, proficiency=level))
    flush(acme)


def test_did_number_is_unique_across_tenants(acme: Session) -> None:
    acme.add(m.Did(tenant="acme", number="+14155550100"))
    flush(acme)
    acme.add(m.Did(tenant="beta", number="+14155550100"))
    with pytest.raises(Conflict) as err:
        flush(acme)
    assert err.value.constraint == "uq_dids_number"
    assert err.value.error_id == "db.conflict"


def _user(tenant: str | None, username: str, role: str = "agent") -> m.User:
    return m.User(tenant=tenant, username=username, password_hash="$argon2id$x", role=role)


def test_username_unique_per_tenant(acme: Session) -> None:
    acme.add_all([_user("acme", "ann"), _user("beta", "ann")])  # other tenant: fine
    flush(acme)
    acme.add(_user("acme", "ann", role="admin"))
    with pytest.raises(Conflict) as err:
        flush(acme)
    assert err.value.constraint == "uq_users_tenant_username"


def test_operator_usernames_unique_despite_null_tenant(acme: Session) -> None:
    acme.add(_user(None, "root", role="super_admin"))
    flush(acme)
    acme.add(_user(None, "root", role="super_admin"))
    with pytest.raises(Conflict) as err:
        flush(acme)
    assert err.value.constraint == "uq_users_operator_username"


@pytest.mark.parametrize(("tenant", "role"), [(None, "admin"), ("acme", "super_admin")])
def test_only_super_admins_have_no_tenant(acme: Session, tenant: str | None, role: str) -> None:
    acme.add(_user(tenant, "x", role=role))
    with pytest.raises(ValidationFailed) as err:
        flush(acme)
    assert err.value.constraint == "ck_users_operator_has_no_tenant"


def test_unknown_role_and_strategy_are_refused(acme: Session) -> None:
    acme.add(_user("acme", "x", role="root"))
    with pytest.raises(ValidationFailed) as err:
        flush(acme)
    assert err.value.constraint == "ck_users_role"
    acme.rollback()
    acme.add(m.Queue(tenant="acme", name="q2", strategy="fastest"))
    with pytest.raises(ValidationFailed) as err2:
        flush(acme)
    assert err2.value.constraint == "ck_queues_strategy"


def test_route_target_must_match_kind(acme: Session) -> None:
    did = m.Did(tenant="acme", number="+14155550101")
    acme.add(did)
    flush(acme)
    acme.add(m.InboundRoute(tenant="acme", did_id=did.id, target_kind="ivr", target_queue_id=1))
    with pytest.raises(ValidationFailed) as err:
        flush(acme)
    assert err.value.constraint == "ck_inbound_routes_target"


def test_queue_in_use_by_a_route_cannot_be_deleted(acme: Session) -> None:
    did = m.Did(tenant="acme", number="+14155550102")
    acme.add(did)
    flush(acme)
    acme.add(m.InboundRoute(tenant="acme", did_id=did.id, target_kind="queue",
                            target_queue_id=1))
    acme.commit()
    acme.delete(acme.get(m.Queue, 1))
    with pytest.raises(Conflict) as err:
        flush(acme)
    # PostgreSQL names the key; SQLite only says a foreign key failed.
    assert err.value.constraint in {"fk_inbound_routes_target_queue_id_queues", "foreign_key"}


def test_deleting_a_tenant_cascades_and_unlinks(acme: Session) -> None:
    team = m.Team(tenant="acme", name="t")
    acme.add(team)
    flush(acme)
    agent = acme.get(m.Agent, 1)
    assert agent is not None
    agent.team_id = team.id
    acme.add(m.AgentSkill(tenant="acme", agent_id=1, skill_id=1, proficiency=3))
    acme.add(m.QueueMember(tenant="acme", queue_id=1, agent_id=1))
    acme.commit()
    # Deleting the team only unlinks the agent (SET NULL)...
    acme.delete(team)
    acme.commit()
    acme.expire_all()
    assert acme.scalar(select(m.Agent.team_id).where(m.Agent.id == 1)) is None
    # ...deleting the tenant removes everything it owns (CASCADE).
    acme.delete(acme.get(m.Tenant, "acme"))
    acme.commit()
    for model in (m.Agent, m.Skill, m.Queue, m.AgentSkill, m.QueueMember):
        assert acme.scalars(select(model)).all() == [], model.__tablename__
    assert acme.get(m.Tenant, "beta") is not None
