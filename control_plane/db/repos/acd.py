"""Skills, queue requirements and memberships, and loading a tenant's ACD configuration.

The loader returns plain frozen records (no ORM objects), ready for the composition root to
turn into the ACD core's model; strategy names are the database's (``longest_idle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.repos.base import flush, get_owned, row_dict, translated
from control_plane.db.repos.fields import Field, check_value
from control_plane.db.vocab import PROFICIENCY_MAX, PROFICIENCY_MIN

_PROFICIENCY = Field(int, low=PROFICIENCY_MIN, high=PROFICIENCY_MAX)
_RANK = Field(int, low=0, high=1_000_000)
_WEIGHT = Field(int, low=1, high=1_000_000)


def set_agent_skill(
    session: Session, tenant: str, *, agent_id: int, skill_id: int, proficiency: int
) -> m.AgentSkill:
    """Give an agent a skill at ``proficiency`` (1-5), or change its level."""
    level = check_value("proficiency", _PROFICIENCY, proficiency)
    get_owned(session, m.Agent, tenant, agent_id)
    get_owned(session, m.Skill, tenant, skill_id)
    with translated():
        row = session.get(m.AgentSkill, (agent_id, skill_id))
    if row is None:
        row = m.AgentSkill(tenant=tenant, agent_id=agent_id, skill_id=skill_id)
        session.add(row)
    row.proficiency = level
    flush(session)
    return row


def remove_agent_skill(session: Session, tenant: str, *, agent_id: int, skill_id: int) -> bool:
    """Take a skill from an agent; False if the agent did not have it."""
    get_owned(session, m.Agent, tenant, agent_id)
    return _remove(session, tenant, m.AgentSkill, (agent_id, skill_id))


def set_queue_skill(
    session: Session, tenant: str, *, queue_id: int, skill_id: int, min_proficiency: int = 1
) -> m.QueueSkill:
    """Require a skill of the agents who serve a queue, at least ``min_proficiency``."""
    level = check_value("min_proficiency", _PROFICIENCY, min_proficiency)
    get_owned(session, m.Queue, tenant, queue_id)
    get_owned(session, m.Skill, tenant, skill_id)
    with translated():
        row = session.get(m.QueueSkill, (queue_id, skill_id))
    if row is None:
        row = m.QueueSkill(tenant=tenant, queue_id=queue_id, skill_id=skill_id)
        session.add(row)
    row.min_proficiency = level
    flush(session)
    return row


def remove_queue_skill(session: Session, tenant: str, *, queue_id: int, skill_id: int) -> bool:
    """Drop a queue's skill requirement; False if it had none."""
    get_owned(session, m.Queue, tenant, queue_id)
    return _remove(session, tenant, m.QueueSkill, (queue_id, skill_id))


def set_queue_member(
    session: Session,
    tenant: str,
    *,
    queue_id: int,
    agent_id: int,
    penalty: int = 0,
    position: int = 0,
    weight: int = 1,
) -> m.QueueMember:
    """Make an agent serve a queue, or change their penalty, position or weight."""
    values = {
        "penalty": check_value("penalty", _RANK, penalty),
        "position": check_value("position", _RANK, position),
        "weight": check_value("weight", _WEIGHT, weight),
    }
    get_owned(session, m.Queue, tenant, queue_id)
    get_owned(session, m.Agent, tenant, agent_id)
    with translated():
        row = session.get(m.QueueMember, (queue_id, agent_id))
    if row is None:
        row = m.QueueMember(tenant=tenant, queue_id=queue_id, agent_id=agent_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    flush(session)
    return row


def remove_queue_member(session: Session, tenant: str, *, queue_id: int, agent_id: int) -> bool:
    """Stop an agent serving a queue; False if they did not."""
    get_owned(session, m.Queue, tenant, queue_id)
    return _remove(session, tenant, m.QueueMember, (queue_id, agent_id))


def _remove(session: Session, tenant: str, model: type[Any], key: tuple[int, int]) -> bool:
    with translated():
        row = session.get(model, key)
    if row is None or row.tenant != tenant:
        return False
    session.delete(row)
    flush(session)
    return True


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as the ACD loads it: skills by name with proficiency, seat SIP user."""

    id: int
    name: str
    team_id: int | None
    sip_username: str | None
    wrap_up_seconds: int
    max_concurrent_offers: int
    skills: dict[str, int]


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """One agent serving a queue, with their ranking inputs."""

    agent_id: int
    penalty: int
    position: int
    weight: int


@dataclass(frozen=True, slots=True)
class QueueRecord:
    """A queue as the ACD loads it: its columns, required skills by name, members."""

    id: int
    name: str
    settings: dict[str, Any]
    skills: dict[str, int]
    members: tuple[MemberRecord, ...]


@dataclass(frozen=True, slots=True)
class AcdConfig:
    """Everything the ACD needs of one tenant to start routing."""

    tenant: str
    skills: tuple[str, ...]
    pause_reasons: tuple[str, ...]
    agents: tuple[AgentRecord, ...]
    queues: tuple[QueueRecord, ...]


def load_acd_config(session: Session, tenant: str) -> AcdConfig:
    """The tenant's active agents with their skills, and queues with skills and members.

    A handful of queries whatever the number of agents (no per-agent round trips).
    """
    with translated():
        # A comprehension, not dict(result): results have .keys() (the column names).
        skill_names = {
            skill_id: name
            for skill_id, name in session.execute(
                select(m.Skill.id, m.Skill.name).where(m.Skill.tenant == tenant)
            )
        }
        agent_skills: dict[int, dict[str, int]] = {}
        for a_id, s_id, level in session.execute(
            select(m.AgentSkill.agent_id, m.AgentSkill.skill_id, m.AgentSkill.proficiency)
            .where(m.AgentSkill.tenant == tenant)
        ):
            agent_skills.setdefault(a_id, {})[skill_names[s_id]] = level
        agents = tuple(
            AgentRecord(
                id=agent.id, name=agent.name, team_id=agent.team_id, sip_username=sip_user,
                wrap_up_seconds=agent.wrap_up_seconds,
                max_concurrent_offers=agent.max_concurrent_offers,
                skills=agent_skills.get(agent.id, {}),
            )
            for agent, sip_user in session.execute(
                select(m.Agent, m.Seat.sip_username)
                .outerjoin(m.Seat, m.Seat.id == m.Agent.seat_id)
                .where(m.Agent.tenant == tenant, m.Agent.active.is_(True))
                .order_by(m.Agent.id)
            )
        )
        queue_skills: dict[int, dict[str, int]] = {}
        for q_id, s_id, level in session.execute(
            select(m.QueueSkill.queue_id, m.QueueSkill.skill_id, m.QueueSkill.min_proficiency)
            .where(m.QueueSkill.tenant == tenant)
        ):
            queue_skills.setdefault(q_id, {})[skill_names[s_id]] = level
        members: dict[int, list[MemberRecord]] = {}
        for row in session.scalars(
            select(m.QueueMember).where(m.QueueMember.tenant == tenant)
            .order_by(m.QueueMember.queue_id, m.QueueMember.position, m.QueueMember.agent_id)
        ):
            members.setdefault(row.queue_id, []).append(
                MemberRecord(row.agent_id, row.penalty, row.position, row.weight)
            )
        queues = tuple(
            QueueRecord(id=q.id, name=q.name, settings=row_dict(q),
                        skills=queue_skills.get(q.id, {}),
                        members=tuple(members.get(q.id, ())))
            for q in session.scalars(
                select(m.Queue).where(m.Queue.tenant == tenant).order_by(m.Queue.id)
            )
        )
        reasons = tuple(session.scalars(
            select(m.PauseReason.code)
            .where(m.PauseReason.tenant == tenant, m.PauseReason.active.is_(True))
            .order_by(m.PauseReason.code)
        ))
    return AcdConfig(tenant=tenant, skills=tuple(sorted(skill_names.values())),
                     pause_reasons=reasons, agents=agents, queues=queues)
