"""Least-talk-time: the agent with the least accumulated talk time goes first."""

from __future__ import annotations

from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import (
    AUDIT_CANDIDATES,
    Selection,
    SelectionContext,
    single_pick,
)


class LeastTalkTime:
    """Offer to the eligible agent with the least talk time (ties: longest idle)."""

    name = "least-talk-time"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Read the head of the talk-time order; the score is minus the seconds."""
        agents = ctx.pool.first(OrderKind.TALK, AUDIT_CANDIDATES)
        return single_pick(self.name, agents, [-a.talk_time for a in agents])
