"""Ring-progressively: ring the longest-idle agent, then add one more every step."""

from __future__ import annotations

from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import Selection, SelectionContext, idle_candidates


class RingProgressively:
    """Offer to one agent now; the engine calls again each `progressive_step_s`.

    Agents already ringing are excluded from the pool by the engine, so every call to
    `select` adds the next agent while the earlier ones keep ringing.
    """

    name = "ring-progressively"
    progressive = True

    def select(self, ctx: SelectionContext) -> Selection | None:
        """The longest-idle agent not yet ringing for this call."""
        agents = ctx.pool.first(OrderKind.IDLE, 1)
        if not agents:
            return None
        return Selection((agents[0],), idle_candidates(agents, ctx.now), self.name)
