"""Supervisor changes to an agent: move between queues, replace their skills, at once."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.errors import NotFound
from control_plane.db.repos import acd
from control_plane.db.repos.base import flush, get_owned, translated


def move_member(session: Session, tenant: str, *, agent_id: int, from_queue: int,
                to_queue: int) -> m.QueueMember:
    """Move the agent from one queue to another, keeping penalty, position and weight."""
    with translated():
        old = session.get(m.QueueMember, (from_queue, agent_id))
    if old is None or old.tenant != tenant:
        raise NotFound("queue_members", f"{from_queue}/{agent_id}")
    ranking = {"penalty": old.penalty, "position": old.position, "weight": old.weight}
    acd.remove_queue_member(session, tenant, queue_id=from_queue, agent_id=agent_id)
    return acd.set_queue_member(session, tenant, queue_id=to_queue, agent_id=agent_id,
                                **ranking)


def replace_agent_skills(session: Session, tenant: str, *, agent_id: int,
                         skills: Mapping[int, int]) -> list[m.AgentSkill]:
    """The agent's skills become exactly ``skills`` (skill id -> proficiency 1-5)."""
    get_owned(session, m.Agent, tenant, agent_id)
    with translated():
        session.execute(delete(m.AgentSkill).where(m.AgentSkill.agent_id == agent_id))
    flush(session)
    return [acd.set_agent_skill(session, tenant, agent_id=agent_id, skill_id=skill,
                                proficiency=level) for skill, level in sorted(skills.items())]
