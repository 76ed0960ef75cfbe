"""Events of a small center and the churn workload recorded as a log, for the store tests."""

from __future__ import annotations

from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import (
    AgentLoggedIn,
    CallArrived,
    Event,
    QueueUpserted,
    TenantUpserted,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    QueueConfig,
    SkillRequirement,
    TenantConfig,
)
from control_plane.acd_store.codec import encode_checkpoint
from tests.unit.acd import churn


def center(tenant: str = "t", *, queues: int = 2, ring_timeout_s: float = 15.0) -> list[Event]:
    """A tenant with one skill and `queues` queues (no agents yet)."""
    events: list[Event] = [TenantUpserted(TenantConfig(tenant, frozenset({"s"})))]
    events += [QueueUpserted(QueueConfig(tenant, f"q{i}", (SkillRequirement("s"),),
                                         ring_timeout_s=ring_timeout_s))
               for i in range(queues)]
    return events


def login(tenant: str, agent: str) -> AgentLoggedIn:
    """An agent with the skill, ready."""
    return AgentLoggedIn(AgentRef(tenant, agent), AgentProfile({"s": 3}))


def arrive(tenant: str, call: str, queue: str = "q0") -> CallArrived:
    """A caller entering a queue."""
    return CallArrived(CallRef(tenant, call), queue)


class Recorded:
    """The churn workload's events, outcomes, and checkpoints taken before chosen events."""

    def __init__(self, seed: int, steps: int, checkpoint_before: set[int]) -> None:
        self.events: list[tuple[float, Event]] = []
        self.outcomes: list[Outcome] = []
        self.checkpoints: dict[int, bytes] = {}
        self.engine: Engine | None = None
        recorded = self

        class Recording(Engine):
            def apply(self, event: Event, now: float) -> Outcome:
                recorded.engine = self
                n = len(recorded.events)
                if n in checkpoint_before:
                    recorded.checkpoints[n] = encode_checkpoint(self.state, self._rng)
                recorded.events.append((now, event))
                out = super().apply(event, now)
                recorded.outcomes.append(out)
                return out

        churn.run_churn(seed, steps, lambda engine: None, engine_type=Recording)
