"""The candidate pool a strategy sees: available agents eligible for one call, in order.

Candidates are read lazily from the idle index through the requirement with the fewest
indexed agents, so finding the first eligible agent costs O(log n) plus the agents skipped
because they miss another required skill or declined this call.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_right
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

from control_plane.acd.model import OrderKind

if TYPE_CHECKING:
    from control_plane.acd.indexes import IdleIndex
    from control_plane.acd.state import LiveAgent, Requirements

IdleKey = tuple[float | int, ...]


def _first_item(pair: tuple[IdleKey, LiveAgent]) -> IdleKey:
    return pair[0]


class AgentPool:
    """Eligible available agents for one call; healthy seats first, then degraded ones."""

    __slots__ = ("_agents", "_exclude", "_index", "_others", "_primary", "_tiers")

    def __init__(
        self,
        index: IdleIndex,
        agents: dict[int, LiveAgent],
        reqs: Requirements,
        exclude: Collection[int],
        include_degraded: bool,
    ) -> None:
        self._index = index
        self._agents = agents
        self._exclude = exclude
        self._tiers = (False, True) if include_degraded else (False,)
        if len(reqs) > 1:
            # Walk the scarcest skill's lists; the others are checked per candidate.
            reqs = tuple(sorted(reqs, key=self._count_for))
        self._primary = reqs[0]
        self._others = reqs[1:]

    def _count_for(self, req: tuple[int, int]) -> int:
        return sum(self._index.count(req[0], req[1], tier) for tier in self._tiers)

    def _accepts(self, idx: int) -> LiveAgent | None:
        if idx in self._exclude:
            return None
        agent = self._agents[idx]
        skills = agent.skills
        for skill_id, minimum in self._others:
            if skills.get(skill_id, 0) < minimum:
                return None
        return agent

    def ordered(self, kind: OrderKind, after: IdleKey | None = None) -> Iterator[LiveAgent]:
        """Eligible agents in `kind` order; with `after`, start past that key and wrap."""
        skill_id, minimum = self._primary
        for tier in self._tiers:
            lists = self._index.lists(skill_id, minimum, tier, kind)
            if not lists:
                continue
            if after is None:
                runs: list[Iterator[IdleKey]] = [self._merged(lists)]
            else:
                cuts = [bisect_right(lst, after) for lst in lists]
                runs = [
                    self._merged([lst[c:] for lst, c in zip(lists, cuts, strict=True)]),
                    self._merged([lst[:c] for lst, c in zip(lists, cuts, strict=True)]),
                ]
            for run in runs:
                for key in run:
                    agent = self._accepts(int(key[-1]))
                    if agent is not None:
                        yield agent

    @staticmethod
    def _merged(lists: list[list[IdleKey]]) -> Iterator[IdleKey]:
        if len(lists) == 1:
            return iter(lists[0])
        return heapq.merge(*lists)

    def first(self, kind: OrderKind, limit: int = 1) -> list[LiveAgent]:
        """Up to `limit` eligible agents in `kind` order, from the first tier that has any.

        Takes up to `limit` from the head of each proficiency list and sorts that handful,
        which is cheaper than a lazy k-way merge for the small limits strategies use. Once
        `limit` are in hand, a list is read only while its keys beat the worst of them.
        """
        if limit <= 0:
            return []
        skill_id, minimum = self._primary
        accepts = self._accepts
        for tier in self._tiers:
            picked: list[tuple[IdleKey, LiveAgent]] = []
            worst: IdleKey | None = None
            for lst in self._index.lists(skill_id, minimum, tier, kind):
                taken = 0
                for key in lst:
                    if worst is not None and key > worst:
                        break  # sorted: nothing further in this list can make the cut
                    agent = accepts(int(key[-1]))
                    if agent is not None:
                        picked.append((key, agent))
                        taken += 1
                        if taken >= limit:
                            break
                if len(picked) >= limit:
                    picked.sort(key=_first_item)
                    del picked[limit:]
                    worst = picked[-1][0]
            if picked:
                picked.sort(key=_first_item)
                return [agent for _, agent in picked[:limit]]
        return []

    def sample(self, rng: random.Random, k: int) -> list[LiveAgent]:
        """Up to `k` distinct eligible agents drawn uniformly (from the first non-empty tier).

        Draws positions in the primary skill's lists and rejects agents failing the other
        requirements; after too many rejections falls back to the first `4k` in order.
        """
        skill_id, minimum = self._primary
        for tier in self._tiers:
            lists = self._index.lists(skill_id, minimum, tier, OrderKind.LINEAR)
            total = sum(len(lst) for lst in lists)
            if total == 0:
                continue
            picked: dict[int, LiveAgent] = {}
            tries = 0
            while len(picked) < k and tries < 8 * k and len(picked) < total:
                tries += 1
                pos = rng.randrange(total)
                idx = -1
                for lst in lists:
                    if pos < len(lst):
                        idx = int(lst[pos][-1])
                        break
                    pos -= len(lst)
                agent = self._accepts(idx) if idx >= 0 else None
                if agent is not None:
                    picked[idx] = agent
            if picked:
                return list(picked.values())
            fallback = [a for a in self.ordered(OrderKind.LINEAR)][: 4 * k]
            if fallback:
                return rng.sample(fallback, min(k, len(fallback)))
            return []
        return []

    def per_proficiency(self, kind: OrderKind, per_level: int) -> list[LiveAgent]:
        """The first `per_level` eligible agents at each proficiency of the scarcest skill.

        Only the first tier with any eligible agent is read, so degraded seats are considered
        only when no healthy one qualifies.
        """
        skill_id, minimum = self._primary
        for tier in self._tiers:
            out: list[LiveAgent] = []
            for lst in self._index.lists(skill_id, minimum, tier, kind):
                taken = 0
                for key in lst:
                    agent = self._accepts(int(key[-1]))
                    if agent is not None:
                        out.append(agent)
                        taken += 1
                        if taken >= per_level:
                            break
            if out:
                return out
        return []

    def is_empty(self) -> bool:
        """True when no agent is eligible."""
        return not self.first(OrderKind.IDLE)
