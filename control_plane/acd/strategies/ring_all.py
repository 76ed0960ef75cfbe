"""Ring-all: every eligible agent rings at once; the first to answer takes the call."""

from __future__ import annotations

from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import Selection, SelectionContext, idle_candidates


class RingAll:
    """Offer to all eligible agents, capped by the queue's `ring_all_limit`."""

    name = "ring-all"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Take up to the limit in idle order so the cap favours the longest idle."""
        agents = ctx.pool.first(OrderKind.IDLE, ctx.queue.config.ring_all_limit)
        if not agents:
            return None
        return Selection(tuple(agents), idle_candidates(agents, ctx.now), self.name)
