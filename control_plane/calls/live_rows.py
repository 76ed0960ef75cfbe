"""The port between the configuration database and the running controller: plain rows.

A :class:`CenterSource` (the SQL adapter is ``control_plane.db.live_source``) reads one
tenant's committed configuration as :class:`TenantRows`; the controller's live
configuration (``live_config``) compares two readings and applies what differs. Rows are
in the database's units (whole seconds, percent), so a reading and the image of the center
file (:func:`image_of`) compare equal where seeding wrote the file's values unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from control_plane.acd.model import (
    OverflowAction,
    OverflowKind,
    QueueConfig,
    ServiceLevel,
    SkillRequirement,
)
from control_plane.calls.center import CenterConfig

# The database's overflow actions the ACD carries out itself; the others (an IVR flow, an
# agent, an outside number) are not the ACD's and leave the queue's overflow as it was.
_OVERFLOW = {"voicemail": OverflowKind.VOICEMAIL, "hangup": OverflowKind.HANG_UP,
             "queue": OverflowKind.QUEUE}


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A queue as the database holds it (strategy in the ACD's spelling, ``longest-idle``;
    ``overflow_target`` of a ``queue`` action is the target queue's name)."""

    name: str
    strategy: str
    skills: Mapping[str, int]
    sla_seconds: int
    sla_percent: int
    ring_timeout_s: int
    wrap_up_s: int
    announce_period_s: int | None = None
    max_wait_s: int | None = None
    max_length: int | None = None
    overflow_action: str | None = None
    overflow_target: str | None = None
    callback_offer_s: int | None = None


@dataclass(frozen=True, slots=True)
class AgentRow:
    """An active agent: the ACD's name for them (the database id as text), the SIP user
    their calls ring (the seat's, else their extension) and their skills."""

    agent_id: str
    name: str = field(compare=False)  # for people; a rename changes nothing in routing
    seat: str
    skills: Mapping[str, int]
    max_concurrent: int = 1


@dataclass(frozen=True, slots=True)
class RouteRow:
    """Where calls to one DID go: ``ivr`` (a flow name), ``queue`` or ``voicemail`` (a
    queue name) or ``agent`` (an agent id)."""

    number: str
    kind: str
    target: str


@dataclass(frozen=True, slots=True)
class FlowRow:
    """The active version of one IVR flow."""

    name: str
    version: int
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TenantRows:
    """One tenant's committed configuration, as the controller needs it."""

    tenant: str
    skills: frozenset[str]
    pause_reasons: frozenset[str]
    queues: Mapping[str, QueueRow] = field(default_factory=dict)
    agents: Mapping[str, AgentRow] = field(default_factory=dict)
    routes: Mapping[str, RouteRow] = field(default_factory=dict)
    flows: Mapping[str, FlowRow] = field(default_factory=dict)


class CenterSource(Protocol):
    """Reads committed configuration (blocking: called from a worker thread)."""

    def tenant_ids(self) -> list[str]:
        """Every tenant the database holds."""

    def read(self, tenant: str) -> TenantRows | None:
        """The tenant's configuration; None when the tenant does not exist (any more)."""


def image_of(center: CenterConfig) -> dict[str, TenantRows]:
    """What the database holds of ``center`` right after seeding it (queues and agents
    as the seed writes them; the file's numbers and flows are not seeded): the baseline a
    first reading is compared with, so edits made before a restart apply at start."""
    rows: dict[str, TenantRows] = {}
    for tenant, config in center.tenants.items():
        queues = {q: _queue_image(cfg) for (t, q), cfg in center.queues.items() if t == tenant}
        agents = {a.agent_id: AgentRow(a.agent_id, a.agent_id, a.seat, dict(a.profile.skills),
                                       a.profile.max_concurrent)
                  for a in center.agents if a.tenant == tenant}
        rows[tenant] = TenantRows(tenant, frozenset(config.skills),
                                  frozenset(config.pause_reasons), queues, agents)
    return rows


def _queue_image(cfg: QueueConfig) -> QueueRow:
    # The same conversions as control_plane.db.repos.center_seed: whole seconds, percent.
    return QueueRow(
        name=cfg.queue_id, strategy=cfg.strategy,
        skills={r.skill: r.min_proficiency for r in cfg.skills},
        sla_seconds=int(cfg.service_level.threshold_s),
        sla_percent=round(cfg.service_level.target * 100),
        ring_timeout_s=int(cfg.ring_timeout_s), wrap_up_s=int(cfg.wrap_up_s),
        announce_period_s=int(cfg.announce_period_s) if cfg.announce_period_s else None)


def queue_config(tenant: str, row: QueueRow, *, current: QueueConfig | None = None,
                 before: QueueRow | None = None) -> QueueConfig:
    """The ACD's configuration of ``row``: a new queue from the row alone; a known one
    (``current``, last read as ``before``) keeps what the database does not hold (rules
    from the center file: no-agents overflow, relaxation...) and takes each field the edit
    changed."""
    fresh = QueueConfig(
        tenant=tenant, queue_id=row.name,
        skills=tuple(SkillRequirement(s, level) for s, level in sorted(row.skills.items())),
        strategy=row.strategy,
        service_level=ServiceLevel(target=row.sla_percent / 100,
                                   threshold_s=float(row.sla_seconds)),
        announce_period_s=float(row.announce_period_s) if row.announce_period_s else None,
        wrap_up_s=float(row.wrap_up_s), ring_timeout_s=float(row.ring_timeout_s))
    fresh = replace(fresh, overflow=_overflow(row, fresh))
    if current is None or before is None:
        return fresh
    changed: dict[str, Any] = {}
    if row.skills != before.skills:
        changed["skills"] = fresh.skills
    if row.strategy != before.strategy:
        changed["strategy"] = fresh.strategy
    if (row.sla_seconds, row.sla_percent) != (before.sla_seconds, before.sla_percent):
        changed["service_level"] = fresh.service_level
    if row.announce_period_s != before.announce_period_s:
        changed["announce_period_s"] = fresh.announce_period_s
    if row.wrap_up_s != before.wrap_up_s:
        changed["wrap_up_s"] = fresh.wrap_up_s
    if row.ring_timeout_s != before.ring_timeout_s:
        changed["ring_timeout_s"] = fresh.ring_timeout_s
    overflow = (row.max_wait_s, row.max_length, row.overflow_action, row.overflow_target)
    if overflow != (before.max_wait_s, before.max_length, before.overflow_action,
                    before.overflow_target):
        changed["overflow"] = _overflow(row, current)
    return replace(current, **changed)


def _overflow(row: QueueRow, base: QueueConfig) -> Any:
    """``base``'s overflow rules with the database's maximum wait and length and their
    action (the rules the database has no column for are kept)."""
    kind = _OVERFLOW.get(row.overflow_action or "")
    action = None
    if kind is OverflowKind.QUEUE:
        action = OverflowAction(kind, target_queue=row.overflow_target) \
            if row.overflow_target else None
    elif kind is not None:
        action = OverflowAction(kind)
    return replace(base.overflow,
                   max_wait_s=float(row.max_wait_s) if row.max_wait_s else None,
                   on_max_wait=action if row.max_wait_s else None,
                   max_length=row.max_length,
                   on_max_length=action if row.max_length else None)
