"""Weighted random: agents drawn with probability proportional to their configured weight."""

from __future__ import annotations

from control_plane.acd.commands import Candidate
from control_plane.acd.strategies.base import Selection, SelectionContext

# Weighted choice is made among a uniform sample of this many eligible agents; exact when the
# pool is no larger, and it keeps the cost of a decision bounded for pools of thousands.
SAMPLE_SIZE = 16


class WeightedRandom:
    """Offer to one agent drawn with probability weight / sum(weights) over a sample."""

    name = "weighted-random"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Sample candidates, then draw one by weight."""
        sample = ctx.pool.sample(ctx.rng, SAMPLE_SIZE)
        if not sample:
            return None
        sample.sort(key=lambda a: a.idx)  # sample order must not leak set iteration order
        weights = [max(a.weight, 0.0) for a in sample]
        if sum(weights) <= 0.0:
            weights = [1.0] * len(sample)
        chosen = ctx.rng.choices(sample, weights=weights, k=1)[0]
        cands = tuple(Candidate(a.ref.agent, w) for a, w in zip(sample, weights, strict=True))
        return Selection((chosen,), cands, self.name)
