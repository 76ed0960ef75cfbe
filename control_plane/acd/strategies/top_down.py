"""Top-down (linear): always try agents in their configured order, first one first."""

from __future__ import annotations

from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import (
    AUDIT_CANDIDATES,
    Selection,
    SelectionContext,
    single_pick,
)


class TopDown:
    """Offer to the available agent with the lowest configured position."""

    name = "top-down"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Read the head of the linear order; the score is minus the position."""
        agents = ctx.pool.first(OrderKind.LINEAR, AUDIT_CANDIDATES)
        return single_pick(self.name, agents, [-float(a.order) for a in agents])
