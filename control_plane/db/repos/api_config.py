"""Reads the API's configuration routes need beyond the entity specs: an agent's skills, a
queue's skills and members, a DID's route, and the tenant's active pause reason codes.

Every function checks the parent row belongs to ``tenant`` first (NotFound otherwise).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.repos.base import get_owned, translated


def agent_skills(session: Session, tenant: str, agent_id: int) -> list[m.AgentSkill]:
    """The agent's skills, by skill id."""
    get_owned(session, m.Agent, tenant, agent_id)
    with translated():
        return list(session.scalars(select(m.AgentSkill).where(
            m.AgentSkill.agent_id == agent_id).order_by(m.AgentSkill.skill_id)))


def agent_skill_names(session: Session, tenant: str, agent_id: int) -> dict[str, int]:
    """The agent's skills as the ACD knows them: skill name -> proficiency."""
    get_owned(session, m.Agent, tenant, agent_id)
    with translated():
        return {name: level for name, level in session.execute(
            select(m.Skill.name, m.AgentSkill.proficiency)
            .join(m.AgentSkill, m.AgentSkill.skill_id == m.Skill.id)
            .where(m.AgentSkill.agent_id == agent_id).order_by(m.Skill.name))}


def queue_skills(session: Session, tenant: str, queue_id: int) -> list[m.QueueSkill]:
    """The skills a queue requires, by skill id."""
    get_owned(session, m.Queue, tenant, queue_id)
    with translated():
        return list(session.scalars(select(m.QueueSkill).where(
            m.QueueSkill.queue_id == queue_id).order_by(m.QueueSkill.skill_id)))


def queue_members(session: Session, tenant: str, queue_id: int) -> list[m.QueueMember]:
    """The agents serving a queue, in position order."""
    get_owned(session, m.Queue, tenant, queue_id)
    with translated():
        return list(session.scalars(select(m.QueueMember).where(
            m.QueueMember.queue_id == queue_id)
            .order_by(m.QueueMember.position, m.QueueMember.agent_id)))


def agent_memberships(session: Session, tenant: str, agent_id: int) -> list[m.QueueMember]:
    """The queues an agent serves, by queue id."""
    get_owned(session, m.Agent, tenant, agent_id)
    with translated():
        return list(session.scalars(select(m.QueueMember).where(
            m.QueueMember.agent_id == agent_id).order_by(m.QueueMember.queue_id)))


def did_route(session: Session, tenant: str, did_id: int) -> m.InboundRoute | None:
    """The DID's inbound route, or None when it is not routed."""
    get_owned(session, m.Did, tenant, did_id)
    with translated():
        return session.scalars(select(m.InboundRoute).where(
            m.InboundRoute.did_id == did_id)).one_or_none()


def pause_reason_codes(session: Session, tenant: str) -> frozenset[str]:
    """The codes of the tenant's active pause reasons."""
    with translated():
        return frozenset(session.scalars(select(m.PauseReason.code).where(
            m.PauseReason.tenant == tenant, m.PauseReason.active.is_(True))))


def names_for_flows(session: Session, tenant: str) -> tuple[frozenset[str], frozenset[str]]:
    """The tenant's queue names and prompt names (what IVR flow documents refer to)."""
    with translated():
        queues = frozenset(session.scalars(select(m.Queue.name).where(m.Queue.tenant == tenant)))
        prompts = frozenset(session.scalars(
            select(m.Prompt.name).where(m.Prompt.tenant == tenant)))
    return queues, prompts
