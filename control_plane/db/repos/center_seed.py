"""A center file's tenants, skills, queues and agents, made present in the configuration
database (idempotent: what exists is left as it is), so the API, the desk and the
wallboard speak of the same agents and queues as the call controller.

Agents are matched by (tenant, name); the controller then uses their database ids, which
is how the API names agents (``AgentRef(tenant, str(id))``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from control_plane.db.models.acd_config import Agent, AgentSkill, Queue, QueueSkill, Skill
from control_plane.db.models.tenancy import PauseReason, Tenant


@dataclass(frozen=True)
class SeedAgent:
    """An agent of the center file."""

    tenant: str
    name: str
    seat: str
    skills: Mapping[str, int]


@dataclass(frozen=True)
class SeedQueue:
    """A queue of the center file."""

    tenant: str
    name: str
    strategy: str  # the ACD's name (``longest-idle``); stored as the database's
    skills: Mapping[str, int]  # skill → minimum proficiency
    ring_timeout_s: float
    wrap_up_s: float
    sl_threshold_s: float
    sl_target: float
    announce_period_s: float | None


@dataclass(frozen=True)
class SeedCenter:
    """What gets seeded."""

    tenants: Mapping[str, str]  # id → time zone
    skills: Mapping[str, Iterable[str]]  # tenant → skill names
    queues: tuple[SeedQueue, ...]
    agents: tuple[SeedAgent, ...]
    pause_reasons: Mapping[str, Iterable[str]]  # tenant → codes the ACD accepts


def _skill_ids(session: Session, tenant: str, names: Iterable[str]) -> dict[str, int]:
    known = {s.name: s.id for s in session.scalars(select(Skill).where(Skill.tenant == tenant))}
    for name in names:
        if name not in known:
            skill = Skill(tenant=tenant, name=name)
            session.add(skill)
            session.flush()
            known[name] = skill.id
    return known


def _queue(session: Session, q: SeedQueue, skills: Mapping[str, int]) -> None:
    found = session.scalars(select(Queue).where(Queue.tenant == q.tenant,
                                                Queue.name == q.name)).first()
    if found is not None:
        return
    queue = Queue(tenant=q.tenant, name=q.name, strategy=q.strategy.replace("-", "_"),
                  sla_target_seconds=int(q.sl_threshold_s),
                  sla_target_percent=round(q.sl_target * 100),
                  ring_timeout_seconds=int(q.ring_timeout_s),
                  wrap_up_seconds=int(q.wrap_up_s),
                  announce_period_seconds=(int(q.announce_period_s)
                                           if q.announce_period_s else None))
    session.add(queue)
    session.flush()
    for skill, minimum in q.skills.items():
        session.add(QueueSkill(tenant=q.tenant, queue_id=queue.id, skill_id=skills[skill],
                               min_proficiency=minimum))


def _agent(session: Session, a: SeedAgent, skills: Mapping[str, int]) -> int:
    found = session.scalars(select(Agent).where(Agent.tenant == a.tenant,
                                                Agent.name == a.name)).first()
    if found is not None:
        return found.id
    agent = Agent(tenant=a.tenant, name=a.name, extension=a.seat)
    session.add(agent)
    session.flush()
    for skill, proficiency in a.skills.items():
        session.add(AgentSkill(tenant=a.tenant, agent_id=agent.id, skill_id=skills[skill],
                               proficiency=proficiency))
    return agent.id


def _add_missing_tenants(session: Session, tenants: Iterable[tuple[str, str]]) -> int:
    known = set(session.scalars(select(Tenant.id)))
    created = 0
    for tenant_id, zone in tenants:
        if tenant_id not in known:
            session.add(Tenant(id=tenant_id, name=tenant_id, time_zone=zone))
            created += 1
    session.flush()
    return created


def ensure_tenants(engine: Engine, tenants: Iterable[tuple[str, str]]) -> int:
    """Create each (id, time zone) tenant that does not exist yet; how many were created."""
    with Session(engine) as session, session.begin():
        return _add_missing_tenants(session, tenants)


def seed_center(engine: Engine, center: SeedCenter) -> dict[tuple[str, str], int]:
    """Make the center present; the database id of every agent, by (tenant, name)."""
    ids: dict[tuple[str, str], int] = {}
    with Session(engine) as session, session.begin():
        _add_missing_tenants(session, center.tenants.items())
        for tenant, codes in center.pause_reasons.items():
            present = set(session.scalars(select(PauseReason.code).where(
                PauseReason.tenant == tenant)))
            for code in sorted(set(codes) - present):
                session.add(PauseReason(tenant=tenant, code=code,
                                        label=code.replace("_", " ").capitalize()))
        for tenant, names in center.skills.items():
            skills = _skill_ids(session, tenant, names)
            for queue in center.queues:
                if queue.tenant == tenant:
                    _queue(session, queue, skills)
            for agent in center.agents:
                if agent.tenant == tenant:
                    ids[(tenant, agent.name)] = _agent(session, agent, skills)
    return ids
