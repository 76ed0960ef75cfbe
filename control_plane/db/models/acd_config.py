"""What the ACD is configured with: agents, skills, queues and who serves which queue."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from control_plane.db.models.base import NAME_LEN, Base, TenantOwned, check_in
from control_plane.db.vocab import (
    OVERFLOW_ACTIONS,
    OVERFLOW_NEEDS_TARGET,
    PROFICIENCY_MAX,
    PROFICIENCY_MIN,
    STRATEGIES,
)

_PROFICIENCY = f"BETWEEN {PROFICIENCY_MIN} AND {PROFICIENCY_MAX}"


class Agent(TenantOwned, Base):
    """A person who answers calls, as the ACD sees them.

    The seat link is how the ACD finds the phone to ring; deleting the seat or team only
    unlinks the agent.
    """

    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("tenant", "extension"),
        CheckConstraint("wrap_up_seconds >= 0", name="wrap_up"),
        CheckConstraint("max_concurrent_offers >= 1", name="max_offers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    extension: Mapped[str | None] = mapped_column(String(32))
    seat_id: Mapped[int | None] = mapped_column(
        ForeignKey("seats.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    wrap_up_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    max_concurrent_offers: Mapped[int] = mapped_column(
        Integer, default=1, server_default=text("1")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    skills: Mapped[list[AgentSkill]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", passive_deletes=True
    )


class Skill(TenantOwned, Base):
    """Something a call needs and an agent has (a language, a product...)."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))


class AgentSkill(TenantOwned, Base):
    """An agent's proficiency (1-5) in one skill."""

    __tablename__ = "agent_skills"
    __table_args__ = (CheckConstraint(f"proficiency {_PROFICIENCY}", name="proficiency_range"),)

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    proficiency: Mapped[int] = mapped_column(Integer)

    agent: Mapped[Agent] = relationship(back_populates="skills")


class Queue(TenantOwned, Base):
    """A queue: its distribution strategy, service-level target and what it does when full.

    ``overflow_target`` is an id (queue, IVR flow, agent) or a number, read according to
    ``overflow_action``; the repository checks it names a row of the same tenant.
    """

    __tablename__ = "queues"
    __table_args__ = (
        UniqueConstraint("tenant", "name"),
        CheckConstraint(check_in("strategy", STRATEGIES), name="strategy"),
        CheckConstraint(
            "sla_target_seconds > 0 AND sla_target_percent BETWEEN 0 AND 100", name="sla"
        ),
        CheckConstraint(
            "overflow_action IS NULL OR " + check_in("overflow_action", OVERFLOW_ACTIONS),
            name="overflow_action",
        ),
        CheckConstraint(
            "overflow_target IS NOT NULL OR overflow_action IS NULL OR NOT "
            + check_in("overflow_action", OVERFLOW_NEEDS_TARGET),
            name="overflow_target",
        ),
        CheckConstraint(
            "(max_wait_seconds IS NULL OR max_wait_seconds > 0)"
            " AND (max_length IS NULL OR max_length > 0)"
            " AND ring_timeout_seconds > 0 AND wrap_up_seconds >= 0"
            " AND (announce_period_seconds IS NULL OR announce_period_seconds > 0)"
            " AND (callback_offer_seconds IS NULL OR callback_offer_seconds > 0)",
            name="durations",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    strategy: Mapped[str] = mapped_column(String(32), default="longest_idle")
    sla_target_seconds: Mapped[int] = mapped_column(Integer, default=20)
    sla_target_percent: Mapped[int] = mapped_column(Integer, default=80)
    max_wait_seconds: Mapped[int | None] = mapped_column(Integer)
    max_length: Mapped[int | None] = mapped_column(Integer)
    overflow_action: Mapped[str | None] = mapped_column(String(16))
    overflow_target: Mapped[str | None] = mapped_column(String(64))
    ring_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    wrap_up_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # Position/wait announcements every N seconds; NULL: none.
    announce_period_seconds: Mapped[int | None] = mapped_column(Integer)
    # Offer a callback once the estimated wait exceeds N seconds; NULL: never.
    callback_offer_seconds: Mapped[int | None] = mapped_column(Integer)
    music_class: Mapped[str] = mapped_column(String(64), default="default")
    language: Mapped[str] = mapped_column(String(16), default="en")


class QueueSkill(TenantOwned, Base):
    """A skill a queue's calls need, with the least proficiency that may serve them."""

    __tablename__ = "queue_skills"
    __table_args__ = (
        CheckConstraint(f"min_proficiency {_PROFICIENCY}", name="min_proficiency_range"),
    )

    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    min_proficiency: Mapped[int] = mapped_column(Integer, default=1)


class QueueMember(TenantOwned, Base):
    """An agent serving a queue: penalty (higher waits longer), order and weight.

    ``position`` orders agents for top_down / ring_progressively; ``weight`` biases
    weighted_random.
    """

    __tablename__ = "queue_members"
    __table_args__ = (
        CheckConstraint("penalty >= 0 AND position >= 0 AND weight >= 1", name="ranking"),
    )

    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    penalty: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int] = mapped_column(Integer, default=1)
