"""The ACD's view of a tenant's configuration, built from the configuration database.

The composition root feeds these events to the engine at start and after configuration
changes; the agent desk builds a logging-in agent's profile here. ACD names: a queue is its
name (IVR flows send callers to queue names), an agent its database id as text.
"""

from __future__ import annotations

from collections.abc import Mapping

from control_plane.acd.events import Event, QueueUpserted, TenantUpserted
from control_plane.acd.model import (
    DEFAULT_PAUSE_REASONS,
    AgentProfile,
    OverflowAction,
    OverflowKind,
    OverflowRules,
    QueueConfig,
    ServiceLevel,
    SkillRequirement,
    TenantConfig,
)
from control_plane.db.repos.acd import AcdConfig, QueueRecord

# The database's overflow actions the ACD carries out itself; the others (an IVR flow, an
# agent, an outside number) are the call controller's to route once the call leaves.
_OVERFLOW = {"voicemail": OverflowKind.VOICEMAIL, "hangup": OverflowKind.HANG_UP,
             "queue": OverflowKind.QUEUE}


def _overflow(queue: QueueRecord, names: Mapping[int, str]) -> OverflowRules:
    s = queue.settings
    kind = _OVERFLOW.get(s.get("overflow_action") or "")
    action = None
    if kind is OverflowKind.QUEUE:
        target = names.get(int(s["overflow_target"])) if str(
            s.get("overflow_target") or "").isdigit() else None
        action = OverflowAction(kind, target_queue=target) if target else None
    elif kind is not None:
        action = OverflowAction(kind)
    max_wait = s.get("max_wait_seconds")
    return OverflowRules(max_wait_s=float(max_wait) if max_wait else None,
                         on_max_wait=action if max_wait else None,
                         max_length=s.get("max_length"),
                         on_max_length=action if s.get("max_length") else None)


def queue_config(tenant: str, queue: QueueRecord, names: Mapping[int, str]) -> QueueConfig:
    """One queue as the ACD routes it."""
    s = queue.settings
    announce = s.get("announce_period_seconds")
    return QueueConfig(
        tenant=tenant, queue_id=queue.name,
        skills=tuple(SkillRequirement(name, level) for name, level in sorted(
            queue.skills.items())),
        strategy=str(s["strategy"]).replace("_", "-"),
        service_level=ServiceLevel(target=s["sla_target_percent"] / 100,
                                   threshold_s=float(s["sla_target_seconds"])),
        overflow=_overflow(queue, names),
        announce_period_s=float(announce) if announce else None,
        wrap_up_s=float(s["wrap_up_seconds"]),
        ring_timeout_s=float(s["ring_timeout_seconds"]),
    )


def acd_events(config: AcdConfig) -> list[Event]:
    """The tenant and each of its queues, as events for the engine (a queue that requires
    no skill yet is left out: the ACD routes calls to agents by skills)."""
    tenant = TenantConfig(
        tenant_id=config.tenant, skills=frozenset(config.skills),
        pause_reasons=frozenset(config.pause_reasons) or DEFAULT_PAUSE_REASONS)
    names = {q.id: q.name for q in config.queues}
    return [TenantUpserted(tenant),
            *(QueueUpserted(queue_config(config.tenant, q, names))
              for q in config.queues if q.skills)]


def agent_profile(skills: Mapping[str, int], *, order: int = 0, weight: float = 1.0,
                  max_concurrent: int = 1) -> AgentProfile:
    """A logging-in agent's profile: skills by name with proficiency (1-5), the order
    top-down strategies ring in (their queue position) and their weighted-random weight."""
    return AgentProfile(skills=dict(skills), order=order, weight=weight,
                        max_concurrent=max_concurrent)
