"""Round-robin with memory: continue after the agent who got the queue's previous call."""

from __future__ import annotations

from control_plane.acd.commands import Candidate
from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import Selection, SelectionContext


class RoundRobin:
    """Offer to the next available agent after the queue's last pick, wrapping around."""

    name = "round-robin"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Resume the linear order just past the remembered (position, agent) key."""
        queue = ctx.queue
        for agent in ctx.pool.ordered(OrderKind.LINEAR, after=queue.round_robin_last):
            # The memory lives in the queue so it survives agents logging in and out.
            queue.round_robin_last = (agent.order, agent.idx)
            return Selection((agent,), (Candidate(agent.ref.agent, -float(agent.order)),),
                             self.name)
        return None
