"""Skill relaxation, by time waited and by service-level risk.

Level 0 is the queue's own requirement; level i ≥ 1 applies relaxation step i (a lower
minimum proficiency, or any proficiency). A call's time level rises as its steps elapse; the
queue's risk level rises while the predicted probability of missing the service level is above
`relax_at` and falls back once it is below `tighten_at`. A call accepts agents of
max(time level, risk level).
"""

from __future__ import annotations

from collections.abc import Mapping

from control_plane.acd.model import QueueConfig, SlaRiskPolicy

Requirements = tuple[tuple[int, int], ...]


def requirements_by_level(
    config: QueueConfig, skill_ids: Mapping[str, int]
) -> tuple[Requirements, ...]:
    """(skill id, minimum proficiency) pairs for every relaxation level of the queue."""
    strict = tuple((skill_ids[r.skill], r.min_proficiency) for r in config.skills)
    levels = [strict]
    for step in config.relaxation:
        floor = 1 if step.min_proficiency is None else step.min_proficiency
        levels.append(tuple((sid, min(minimum, floor)) for sid, minimum in strict))
    return tuple(levels)


def eligible_level(skills: Mapping[int, int], levels: tuple[Requirements, ...]) -> int | None:
    """The strictest level at which an agent with `skills` qualifies, or None."""
    for level, reqs in enumerate(levels):
        if all(skills.get(sid, 0) >= minimum for sid, minimum in reqs):
            return level
    return None


def next_risk_level(policy: SlaRiskPolicy, current: int, risk: float, max_level: int) -> int:
    """The queue's risk level after observing `risk`, with hysteresis between thresholds."""
    if current == 0 and risk >= policy.relax_at:
        return min(policy.level, max_level)
    if current > 0 and risk <= policy.tighten_at:
        return 0
    return current
