"""Random: any eligible agent, uniformly, from the engine's seeded generator."""

from __future__ import annotations

from control_plane.acd.commands import Candidate
from control_plane.acd.strategies.base import Selection, SelectionContext


class RandomPick:
    """Offer to one eligible agent drawn uniformly."""

    name = "random"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Draw one agent; the seeded generator makes runs reproducible."""
        drawn = ctx.pool.sample(ctx.rng, 1)
        if not drawn:
            return None
        return Selection((drawn[0],), (Candidate(drawn[0].ref.agent, 1.0),), self.name)
