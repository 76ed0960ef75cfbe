"""Request and response models of the configuration resources (ACD, routing, IVR, seats).

The models refuse malformed bodies with the field's path before the repositories run; the
repositories' own field rules and the database constraints stay the backstop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from control_plane.acd.strategies import STRATEGIES as ACD_STRATEGIES
from control_plane.db.vocab import OVERFLOW_ACTIONS, ROUTE_TARGETS

DAY = 86_400
E164 = r"^\+[1-9][0-9]{1,14}$"
CODE = r"^[a-z0-9_]{1,32}$"
SIP_USER = r"^[A-Za-z0-9._~+-]{1,64}$"
# The database spells strategies with underscores; the ACD core with dashes.
STRATEGY_NAMES = tuple(sorted(name.replace("-", "_") for name in ACD_STRATEGIES))


def _strategy(value: str) -> str:
    name = value.replace("-", "_")
    if name.replace("_", "-") not in ACD_STRATEGIES:
        raise ValueError(f"unknown strategy; one of {', '.join(STRATEGY_NAMES)}")
    return name


Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
OptText = Annotated[str | None, Field(max_length=200)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Strategy = Annotated[str, AfterValidator(_strategy),
                     Field(json_schema_extra={"enum": list(STRATEGY_NAMES)})]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TeamIn(_Body):
    """A team of agents."""

    name: Name


class TeamView(_View):
    """A team."""

    id: int
    tenant: str
    name: str


class SkillIn(_Body):
    """A skill calls need and agents have."""

    name: Name


class SkillView(TeamView):
    """A skill."""


class AgentIn(_Body):
    """An agent: who answers calls, their seat, team and after-call work."""

    name: Name
    extension: Annotated[str | None, Field(max_length=32)] = None
    seat_id: Id | None = None
    team_id: Id | None = None
    wrap_up_seconds: Annotated[int, Field(ge=0, le=DAY)] = 0
    max_concurrent_offers: Annotated[int, Field(ge=1, le=10)] = 1
    active: bool = True


class AgentView(_View):
    """An agent."""

    id: int
    tenant: str
    name: str
    extension: str | None
    seat_id: int | None
    team_id: int | None
    wrap_up_seconds: int
    max_concurrent_offers: int
    active: bool


class QueueIn(_Body):
    """A queue: strategy, service-level target, overflow and announcements."""

    name: Name
    strategy: Strategy = "longest_idle"
    sla_target_seconds: Annotated[int, Field(ge=1, le=3600)] = 20
    sla_target_percent: Annotated[int, Field(ge=0, le=100)] = 80
    max_wait_seconds: Annotated[int | None, Field(ge=1, le=DAY)] = None
    max_length: Annotated[int | None, Field(ge=1, le=100_000)] = None
    overflow_action: Annotated[str | None, Field(json_schema_extra={
        "enum": [*OVERFLOW_ACTIONS, None]})] = None
    overflow_target: Annotated[str | None, Field(max_length=64)] = None
    ring_timeout_seconds: Annotated[int, Field(ge=1, le=600)] = 20
    wrap_up_seconds: Annotated[int, Field(ge=0, le=DAY)] = 0
    announce_period_seconds: Annotated[int | None, Field(ge=1, le=3600)] = None
    callback_offer_seconds: Annotated[int | None, Field(ge=1, le=DAY)] = None
    music_class: Annotated[str, Field(min_length=1, max_length=64)] = "default"
    language: Annotated[str, Field(min_length=1, max_length=16)] = "en"


class QueueView(_View):
    """A queue."""

    id: int
    tenant: str
    name: str
    strategy: str
    sla_target_seconds: int
    sla_target_percent: int
    max_wait_seconds: int | None
    max_length: int | None
    overflow_action: str | None
    overflow_target: str | None
    ring_timeout_seconds: int
    wrap_up_seconds: int
    announce_period_seconds: int | None
    callback_offer_seconds: int | None
    music_class: str
    language: str


class DidIn(_Body):
    """A phone number routed to this tenant (E.164; unique across the center)."""

    number: Annotated[str, Field(pattern=E164)]
    description: OptText = None


class DidView(_View):
    """A DID."""

    id: int
    tenant: str
    number: str
    description: str | None


class PromptIn(_Body):
    """Metadata of an audio prompt (the file itself is provisioned separately)."""

    name: Name
    language: Annotated[str, Field(min_length=1, max_length=16)]
    file_path: Annotated[str, Field(min_length=1, max_length=1024)]


class PromptView(_View):
    """A prompt."""

    id: int
    tenant: str
    name: str
    language: str
    file_path: str


class PauseReasonIn(_Body):
    """A reason code agents pick when they pause."""

    code: Annotated[str, Field(pattern=CODE)]
    label: Name
    paid: bool = False
    active: bool = True


class PauseReasonView(_View):
    """A pause reason."""

    id: int
    tenant: str
    code: str
    label: str
    paid: bool
    active: bool


class IvrFlowIn(_Body):
    """A named IVR flow (its documents are versions, posted separately)."""

    name: Name


class IvrFlowView(_View):
    """An IVR flow and the id of the version callers hear (None until one is activated)."""

    id: int
    tenant: str
    name: str
    active_version_id: int | None
    created_at: datetime


class AgentSkillIn(_Body):
    """An agent's proficiency in one skill."""

    proficiency: Annotated[int, Field(ge=1, le=5)]


class AgentSkillView(_View):
    """One skill of an agent."""

    agent_id: int
    skill_id: int
    proficiency: int


class QueueSkillIn(_Body):
    """A skill a queue requires and the least proficiency that serves it."""

    min_proficiency: Annotated[int, Field(ge=1, le=5)] = 1


class QueueSkillView(_View):
    """One required skill of a queue."""

    queue_id: int
    skill_id: int
    min_proficiency: int


class MemberIn(_Body):
    """An agent serving a queue: penalty, position (top-down order) and weight."""

    penalty: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    position: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    weight: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class MemberView(_View):
    """One member of a queue."""

    queue_id: int
    agent_id: int
    penalty: int
    position: int
    weight: int


class RouteIn(_Body):
    """Where calls to a DID go: a target of this tenant."""

    kind: Annotated[str, Field(json_schema_extra={"enum": list(ROUTE_TARGETS)})]
    target_id: Id


class RouteView(BaseModel):
    """The route of a DID."""

    did_id: int
    kind: str
    target_id: int


class AgentSkillList(BaseModel):
    """Every skill of an agent."""

    count: int
    items: list[AgentSkillView]


class QueueSkillList(BaseModel):
    """Every skill a queue requires."""

    count: int
    items: list[QueueSkillView]


class MemberList(BaseModel):
    """Every agent serving a queue."""

    count: int
    items: list[MemberView]
