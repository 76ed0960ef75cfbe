"""Skills-based best match: proficiency × idle time × fairness, over a bounded candidate set."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from control_plane.acd.commands import Candidate
from control_plane.acd.model import OrderKind
from control_plane.acd.strategies.base import Selection, SelectionContext

if TYPE_CHECKING:
    from control_plane.acd.state import LiveAgent

# The longest-idle few at each proficiency level of the scarcest required skill: the best
# scorer is almost always among them, and the decision stays O(levels × k × log n).
PER_LEVEL = 4
# Idle seconds at which the idle factor has doubled; keeps long idlers from being starved.
IDLE_SCALE_S = 60.0


class BestMatch:
    """Offer to the highest-scoring eligible agent.

    score = proficiency/5 × sqrt(1 + idle/60 s) × fairness, where proficiency is the mean over
    the queue's required skills and fairness = (1 + mean calls of the candidates) /
    (1 + the agent's calls), which ranks down agents who already took more than their share
    across all their queues.
    """

    name = "best-match"
    progressive = False

    def select(self, ctx: SelectionContext) -> Selection | None:
        """Score the bounded candidate set; ties go to the lower agent index."""
        agents = ctx.pool.per_proficiency(OrderKind.IDLE, PER_LEVEL)
        if not agents:
            return None
        mean_calls = sum(a.calls_handled for a in agents) / len(agents)
        scored = [(self._score(a, ctx, mean_calls), a) for a in agents]
        _, best = max(scored, key=lambda sa: (sa[0], -sa[1].idx))
        cands = tuple(Candidate(a.ref.agent, round(s, 6)) for s, a in scored)
        return Selection((best,), cands, self.name)

    @staticmethod
    def _score(agent: LiveAgent, ctx: SelectionContext, mean_calls: float) -> float:
        skills = agent.skills
        proficiency = sum(skills.get(skill_id, 0) for skill_id, _ in ctx.reqs) / len(ctx.reqs)
        idle = max(ctx.now - agent.idle_since, 0.0)
        fairness = (1.0 + mean_calls) / (1.0 + agent.calls_handled)
        return proficiency / 5.0 * math.sqrt(1.0 + idle / IDLE_SCALE_S) * fairness
