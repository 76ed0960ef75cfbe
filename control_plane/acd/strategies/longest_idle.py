"""Longest-idle: the agent who has waited longest since its last call gets the next one."""

from __future__ import annotations

from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import (
    AUDIT_CANDIDATES,
    Selection,
    SelectionContext,
    single_pick,
)


class LongestIdle:
    """Offer to the eligible agent idle the longest (ties: lowest agent index)."""

    name = "longest-idle"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Read the head of the idle-time order."""
        agents = ctx.pool.first(OrderKind.IDLE, AUDIT_CANDIDATES)
        return single_pick(self.name, agents, [ctx.now - a.idle_since for a in agents])
