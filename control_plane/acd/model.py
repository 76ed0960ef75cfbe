"""Configuration entities of the ACD and the tenant-scoped identities every key is built from.

Everything here is immutable: a queue or tenant changes by replacing its config through an
event, so the engine can re-index exactly what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import NamedTuple


class QueueRef(NamedTuple):
    """A queue, always qualified by the tenant that rents it."""

    tenant: str
    queue: str


class AgentRef(NamedTuple):
    """An agent, always qualified by its tenant."""

    tenant: str
    agent: str


class CallRef(NamedTuple):
    """A call, always qualified by its tenant."""

    tenant: str
    call: str


class PriorityClass(IntEnum):
    """Caller priority classes; a higher value is served first within a queue."""

    NORMAL = 0
    IMPORTANT = 1
    VIP = 2


class AgentState(StrEnum):
    """Where an agent is in its life cycle."""

    LOGGED_OUT = "logged_out"
    READY = "ready"
    OFFERED = "offered"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class CallState(StrEnum):
    """Where a call is in the queue; exactly one at any time."""

    QUEUED = "queued"
    OFFERED = "offered"
    CONNECTED = "connected"
    ENDED = "ended"


class CallOutcome(StrEnum):
    """How a call left the ACD."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    OVERFLOWED = "overflowed"
    CALLBACK_SCHEDULED = "callback_scheduled"
    REJECTED = "rejected"


class OverflowKind(StrEnum):
    """Where an overflowing call goes."""

    QUEUE = "queue"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    REJECT = "reject"
    HANG_UP = "hang_up"


class SeatPolicy(StrEnum):
    """What a queue does with agents whose seat has bad network quality."""

    EXCLUDE = "exclude"
    RANK_DOWN = "rank_down"


class OrderKind(IntEnum):
    """Orders the idle-agent index keeps; strategies read candidates in one of them."""

    IDLE = 0  # longest idle first
    CALLS = 1  # fewest calls handled first
    TALK = 2  # least talk time first
    LINEAR = 3  # the agent's configured position (top-down, round-robin)


DEFAULT_PAUSE_REASONS = frozenset(
    {"lunch", "training", "after_call_work", "break", "meeting", "no_answer", "login"}
)
NO_ANSWER_REASON = "no_answer"


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    """A skill a queue needs and the lowest proficiency (1–5) it accepts before relaxation."""

    skill: str
    min_proficiency: int = 1


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """A service-level target such as 80 % of calls answered within 20 s."""

    target: float = 0.8
    threshold_s: float = 20.0


@dataclass(frozen=True, slots=True)
class OverflowAction:
    """Where a call goes when an overflow rule fires."""

    kind: OverflowKind
    target_queue: str | None = None
    sip_code: int = 486


@dataclass(frozen=True, slots=True)
class OverflowRules:
    """The triggers that move a call out of its queue, each with its own action."""

    max_wait_s: float | None = None
    on_max_wait: OverflowAction | None = None
    max_length: int | None = None
    on_max_length: OverflowAction | None = None
    on_no_agents: OverflowAction | None = None
    max_offers: int | None = None
    on_max_offers: OverflowAction | None = None


@dataclass(frozen=True, slots=True)
class RelaxStep:
    """After `after_s` of waiting, accept agents down to `min_proficiency` (None: any)."""

    after_s: float
    min_proficiency: int | None = None


@dataclass(frozen=True, slots=True)
class SlaRiskPolicy:
    """Relax a queue while its predicted probability of missing the target is high.

    Two thresholds give hysteresis so a queue does not flap around one value.
    """

    relax_at: float = 0.5
    tighten_at: float = 0.25
    level: int = 1
    eval_period_s: float = 5.0


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Everything the engine needs to route one queue's calls."""

    tenant: str
    queue_id: str
    skills: tuple[SkillRequirement, ...]
    strategy: str = "longest-idle"
    service_level: ServiceLevel = ServiceLevel()
    overflow: OverflowRules = OverflowRules()
    relaxation: tuple[RelaxStep, ...] = ()
    sla_risk: SlaRiskPolicy | None = None
    announce_period_s: float | None = None
    wrap_up_s: float = 0.0
    ring_timeout_s: float = 15.0
    pause_on_no_answer: bool = True
    seat_policy: SeatPolicy = SeatPolicy.RANK_DOWN
    expected_handle_s: float = 180.0
    ring_all_limit: int = 32
    progressive_step_s: float = 5.0

    @property
    def ref(self) -> QueueRef:
        """The tenant-scoped key of this queue."""
        return QueueRef(self.tenant, self.queue_id)


@dataclass(frozen=True, slots=True)
class PriorityRules:
    """How a tenant classifies callers: number lists, a CRM flag, an IVR choice."""

    vip_numbers: frozenset[str] = frozenset()
    important_numbers: frozenset[str] = frozenset()
    crm_attribute: str = "crm_priority"
    ivr_attribute: str = "ivr_priority"


@dataclass(frozen=True, slots=True)
class SeatQualityPolicy:
    """Network figures beyond which a seat counts as degraded."""

    min_mos: float = 3.5
    max_jitter_ms: float = 30.0
    max_loss_pct: float = 2.0


@dataclass(frozen=True, slots=True)
class TenantConfig:
    """An enterprise renting seats: its skills, pause reasons and caller-priority rules."""

    tenant_id: str
    skills: frozenset[str]
    pause_reasons: frozenset[str] = DEFAULT_PAUSE_REASONS
    priority: PriorityRules = PriorityRules()
    seat_quality: SeatQualityPolicy = SeatQualityPolicy()


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """What routing needs to know about an agent when it logs in."""

    skills: Mapping[str, int] = field(default_factory=dict)
    order: int = 0
    weight: float = 1.0
    max_concurrent: int = 1
