"""Builders and checks shared by the ACD tests."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TypeVar

from control_plane.acd import Engine, Outcome
from control_plane.acd.commands import Command, OfferCall
from control_plane.acd.events import (
    AgentLoggedIn,
    CallArrived,
    QueueUpserted,
    TenantUpserted,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    PriorityClass,
    QueueConfig,
    SkillRequirement,
    TenantConfig,
)

T = "acme"


class World:
    """An engine with one tenant, plus shorthands that assert events are accepted."""

    def __init__(
        self, skills: Iterable[str] = ("en", "zh", "billing"), seed: int = 7, tenant: str = T
    ) -> None:
        self.engine = Engine(random.Random(seed))
        self.tenant = tenant
        self.now = 0.0
        self.ok(TenantUpserted(TenantConfig(tenant, frozenset(skills))))

    def at(self, now: float) -> World:
        """Move the clock used by the next events."""
        self.now = now
        return self

    def ok(self, event: object) -> Outcome:
        """Apply an event that must be accepted."""
        out = self.engine.apply(event, self.now)  # type: ignore[arg-type]
        assert out.rejection is None, out.rejection
        return out

    def queue(self, queue_id: str, skills: dict[str, int] | None = None, **kw: object) -> None:
        """Create a queue requiring `skills` (default en ≥ 1)."""
        reqs = tuple(SkillRequirement(s, p) for s, p in (skills or {"en": 1}).items())
        self.ok(QueueUpserted(QueueConfig(self.tenant, queue_id, reqs, **kw)))  # type: ignore[arg-type]

    def login(self, agent: str, skills: dict[str, int] | None = None, **kw: object) -> Outcome:
        """Log an agent in, ready, with `skills` (default en 3)."""
        profile = AgentProfile(
            skills or {"en": 3},
            **{k: v for k, v in kw.items() if k in ("order", "weight", "max_concurrent")},  # type: ignore[arg-type]
        )
        extra = {k: v for k, v in kw.items() if k in ("pause_reason", "seat_registered")}
        return self.ok(AgentLoggedIn(self.agent(agent), profile, **extra))  # type: ignore[arg-type]

    def arrive(
        self, call: str, queue: str, klass: PriorityClass | None = None, **kw: object
    ) -> Outcome:
        """A call arrives in a queue."""
        return self.ok(CallArrived(self.call(call), queue, priority_class=klass, **kw))  # type: ignore[arg-type]

    def agent(self, name: str) -> AgentRef:
        """The ref of an agent of this tenant."""
        return AgentRef(self.tenant, name)

    def call(self, name: str) -> CallRef:
        """The ref of a call of this tenant."""
        return CallRef(self.tenant, name)


def offers(out: Outcome) -> list[tuple[str, str]]:
    """(call, agent) pairs offered by an outcome."""
    return [(c.call.call, c.agent.agent) for c in out.commands if isinstance(c, OfferCall)]


C = TypeVar("C", bound=Command)


def of_type(out: Outcome, kind: type[C]) -> list[C]:
    """The commands of one type."""
    return [c for c in out.commands if isinstance(c, kind)]
