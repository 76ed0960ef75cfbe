"""Fewest-calls: the agent who has handled the fewest calls since login goes first."""

from __future__ import annotations

from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import (
    AUDIT_CANDIDATES,
    Selection,
    SelectionContext,
    single_pick,
)


class FewestCalls:
    """Offer to the eligible agent with the fewest handled calls (ties: longest idle)."""

    name = "fewest-calls"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Read the head of the calls-handled order; the score is minus the count."""
        agents = ctx.pool.first(OrderKind.CALLS, AUDIT_CANDIDATES)
        return single_pick(self.name, agents, [-float(a.calls_handled) for a in agents])
