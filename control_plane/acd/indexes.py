"""The idle-agent index: per (skill, proficiency, seat health) sorted lists, one per order.

Sorted lists rather than heaps because strategies need to read candidates *in order* past the
first (multi-skill filters, round-robin's "next after the last one", ring-all), and because an
agent leaving the index must be removed exactly (bisect + del), not lazily: its key would
otherwise linger until it reached the top. Insertion is O(log n) compares plus a memmove.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import TYPE_CHECKING

from control_plane.acd.model import OrderKind

if TYPE_CHECKING:
    from control_plane.acd.state import LiveAgent

ORDER_KINDS = tuple(OrderKind)
MAX_PROFICIENCY = 5


def bucket_code(skill_id: int, proficiency: int, degraded: bool) -> int:
    """One integer per (skill, proficiency, health) bucket; cheaper to hash than a tuple."""
    return (skill_id * 8 + proficiency) * 2 + int(degraded)


class IdleIndex:
    """Available agents, findable by skill and proficiency in any `OrderKind`."""

    __slots__ = ("_buckets", "_per_skill")

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[list[tuple[float | int, ...]], ...]] = {}
        # Indexed agents per skill id, all proficiencies and tiers: lets a call that nobody
        # can take (the common case under backlog) give up in O(1).
        self._per_skill: dict[int, int] = {}

    def add(self, agent: LiveAgent) -> None:
        """Index an available agent under each of its skills."""
        if agent.idle_keys is not None:
            return
        idx = agent.idx
        keys = (
            (agent.idle_since, idx),
            (agent.calls_handled, agent.idle_since, idx),
            (agent.talk_time, agent.idle_since, idx),
            (agent.order, idx),
        )
        agent.idle_keys = keys
        agent.idle_degraded = degraded = agent.seat_degraded
        buckets = self._buckets
        per_skill = self._per_skill
        for skill_id, proficiency in agent.skills.items():
            code = bucket_code(skill_id, proficiency, degraded)
            bucket = buckets.get(code)
            if bucket is None:
                bucket = buckets[code] = ([], [], [], [])
            insort(bucket[0], keys[0])
            insort(bucket[1], keys[1])
            insort(bucket[2], keys[2])
            insort(bucket[3], keys[3])
            per_skill[skill_id] = per_skill.get(skill_id, 0) + 1

    def remove(self, agent: LiveAgent) -> None:
        """Take the agent out of every bucket it is in (no-op when not indexed)."""
        keys = agent.idle_keys
        if keys is None:
            return
        agent.idle_keys = None
        buckets = self._buckets
        per_skill = self._per_skill
        degraded = agent.idle_degraded
        for skill_id, proficiency in agent.skills.items():
            code = bucket_code(skill_id, proficiency, degraded)
            bucket = buckets[code]
            for lst, key in zip(bucket, keys, strict=True):
                del lst[bisect_left(lst, key)]
            if not bucket[0]:
                del buckets[code]
            per_skill[skill_id] -= 1

    def lists(
        self, skill_id: int, min_proficiency: int, degraded: bool, kind: OrderKind
    ) -> list[list[tuple[float | int, ...]]]:
        """The non-empty sorted lists for this skill at or above the proficiency."""
        out: list[list[tuple[float | int, ...]]] = []
        if not self._per_skill.get(skill_id):
            return out
        buckets = self._buckets
        base = skill_id * 16 + int(degraded)
        for proficiency in range(MAX_PROFICIENCY, min_proficiency - 1, -1):
            bucket = buckets.get(base + proficiency * 2)
            if bucket is not None:
                out.append(bucket[kind])
        return out

    def count(self, skill_id: int, min_proficiency: int, degraded: bool) -> int:
        """How many indexed agents have the skill at or above the proficiency."""
        total = 0
        if not self._per_skill.get(skill_id):
            return total
        buckets = self._buckets
        base = skill_id * 16 + int(degraded)
        for proficiency in range(min_proficiency, MAX_PROFICIENCY + 1):
            bucket = buckets.get(base + proficiency * 2)
            if bucket is not None:
                total += len(bucket[0])
        return total

    def has_skill(self, skill_id: int) -> bool:
        """True when any indexed agent has the skill (any proficiency, any seat health)."""
        return bool(self._per_skill.get(skill_id))

    def size(self) -> int:
        """Number of (agent, skill) entries; for tests and memory figures."""
        return sum(len(b[0]) for b in self._buckets.values())
