"""The idle-agent index: per (skill, proficiency, seat health) sorted lists, one per order.

Only the orders some strategy has asked for on a skill are kept for it: longest-idle always
(it also counts the bucket), the others from the first time a strategy reads them (built
then from the agents already indexed). A centre using one or two strategies thus pays one or
two sorted inserts per skill when an agent becomes free, not four.

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
_IDLE_ONLY: tuple[int, ...] = (OrderKind.IDLE,)


def bucket_code(skill_id: int, proficiency: int, degraded: bool) -> int:
    """One integer per (skill, proficiency, health) bucket; cheaper to hash than a tuple."""
    return (skill_id * 8 + proficiency) * 2 + int(degraded)


class IdleIndex:
    """Available agents, findable by skill and proficiency in any `OrderKind`."""

    __slots__ = ("_buckets", "_keys", "_kinds", "_per_skill")

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[list[tuple[float | int, ...]], ...]] = {}
        # Indexed agents per skill id, all proficiencies and tiers: lets a call that nobody
        # can take (the common case under backlog) give up in O(1).
        self._per_skill: dict[int, int] = {}
        # The orders kept per skill id (absent: longest-idle only).
        self._kinds: dict[int, tuple[int, ...]] = {}
        # Every indexed agent's keys, to build an order the first time it is asked for.
        self._keys: dict[int, tuple[tuple[float | int, ...], ...]] = {}

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
        self._keys[idx] = keys
        agent.idle_degraded = degraded = agent.seat_degraded
        buckets = self._buckets
        per_skill = self._per_skill
        kinds = self._kinds
        for skill_id, proficiency in agent.skills.items():
            code = bucket_code(skill_id, proficiency, degraded)
            bucket = buckets.get(code)
            if bucket is None:
                bucket = buckets[code] = ([], [], [], [])
            for kind in kinds.get(skill_id, _IDLE_ONLY):
                insort(bucket[kind], keys[kind])
            per_skill[skill_id] = per_skill.get(skill_id, 0) + 1

    def remove(self, agent: LiveAgent) -> None:
        """Take the agent out of every bucket it is in (no-op when not indexed)."""
        keys = agent.idle_keys
        if keys is None:
            return
        agent.idle_keys = None
        del self._keys[agent.idx]
        buckets = self._buckets
        per_skill = self._per_skill
        kinds = self._kinds
        degraded = agent.idle_degraded
        for skill_id, proficiency in agent.skills.items():
            code = bucket_code(skill_id, proficiency, degraded)
            bucket = buckets[code]
            for kind in kinds.get(skill_id, _IDLE_ONLY):
                lst = bucket[kind]
                del lst[bisect_left(lst, keys[kind])]
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
        if kind not in self._kinds.get(skill_id, _IDLE_ONLY):
            self._keep(skill_id, kind)
        buckets = self._buckets
        base = skill_id * 16 + int(degraded)
        for proficiency in range(MAX_PROFICIENCY, min_proficiency - 1, -1):
            bucket = buckets.get(base + proficiency * 2)
            if bucket is not None:
                out.append(bucket[kind])
        return out

    def _keep(self, skill_id: int, kind: OrderKind) -> None:
        """Start keeping `kind` for the skill: sort the agents indexed under it once."""
        self._kinds[skill_id] = (*self._kinds.get(skill_id, _IDLE_ONLY), kind)
        keys = self._keys
        buckets = self._buckets
        for degraded in (False, True):
            for proficiency in range(1, MAX_PROFICIENCY + 1):
                bucket = buckets.get(bucket_code(skill_id, proficiency, degraded))
                if bucket is not None:
                    bucket[kind][:] = sorted(keys[int(key[-1])][kind] for key in bucket[0])

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
