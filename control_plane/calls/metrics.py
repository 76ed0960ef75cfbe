"""The call controller's Prometheus figures: queue counters as calls move, gauges sampled.

Counters change where the call does (entered a queue, answered, abandoned); gauges
(waiting, oldest wait, agents by state, active calls) are sampled every second from the
controller's sessions and the ACD's public queries, never from the engine's internals.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable

from control_plane.acd.model import AgentRef, QueueRef
from control_plane.calls.center import CenterConfig
from control_plane.runtime.metrics import ControlPlaneMetrics

SHORT_ABANDON_S = 5.0


class CallMetrics:
    """Updates the control plane's metric families for one controller."""

    def __init__(self, metrics: ControlPlaneMetrics | None) -> None:
        self.m = metrics

    def queued(self, tenant: str, queue: str) -> None:
        """A call entered ``queue``."""
        if self.m is not None:
            self.m.queue_calls_offered.labels(tenant=tenant, queue=queue).inc()

    def answered(self, tenant: str, queue: str, *, waited_s: float, threshold_s: float) -> None:
        """An agent answered a call of ``queue`` after ``waited_s``."""
        if self.m is not None:
            self.m.queue_calls_answered.labels(tenant=tenant, queue=queue).inc()
            if waited_s <= threshold_s:
                self.m.queue_calls_answered_in_target.labels(tenant=tenant, queue=queue).inc()

    def abandoned(self, tenant: str, queue: str, *, waited_s: float) -> None:
        """The caller hung up while queued."""
        if self.m is not None:
            self.m.queue_calls_abandoned.labels(tenant=tenant, queue=queue).inc()
            if waited_s < SHORT_ABANDON_S:
                self.m.queue_calls_short_abandoned.labels(tenant=tenant, queue=queue).inc()

    def decided(self, elapsed_us: float | None) -> None:
        """One ACD decision took ``elapsed_us``."""
        if self.m is not None and elapsed_us is not None:
            self.m.acd_decision_latency.observe(elapsed_us / 1e6)

    def ng_round_trip(self, command: str, seconds: float, ok: bool) -> None:
        """One ng request's round trip."""
        if self.m is not None:
            self.m.ng_round_trip.labels(command=command, ok=str(ok).lower()).observe(seconds)


Sample = Callable[[], None]


def gauge_sampler(metrics: ControlPlaneMetrics, center: CenterConfig, *,
                  waiting: Callable[[QueueRef], int],
                  oldest: Callable[[QueueRef], float],
                  agent_state: Callable[[AgentRef], str | None],
                  active: Callable[[], int]) -> Sample:
    """A function that refreshes every gauge once."""
    def sample() -> None:
        for (tenant, queue), config in center.queues.items():
            ref = QueueRef(tenant, queue)
            metrics.queue_calls_waiting.labels(tenant=tenant, queue=queue).set(waiting(ref))
            metrics.queue_oldest_wait.labels(tenant=tenant, queue=queue).set(oldest(ref))
            metrics.queue_service_level_target.labels(tenant=tenant, queue=queue).set(
                config.service_level.target)
        by_state: Counter[tuple[str, str]] = Counter()
        for agent in center.agents:
            state = agent_state(AgentRef(agent.tenant, agent.agent_id)) or "logged_out"
            by_state[(agent.tenant, state)] += 1
        for tenant in center.tenants:
            for state in ("ready", "offered", "on_call", "wrap_up", "paused", "logged_out"):
                metrics.agents.labels(tenant=tenant, state=state).set(by_state[(tenant, state)])
        metrics.calls_active.set(active())
    return sample


async def run_sampler(sample: Sample, period_s: float = 1.0) -> None:
    """Call ``sample`` every ``period_s`` until cancelled; a failing sample is skipped."""
    while True:
        with contextlib.suppress(Exception):
            sample()
        await asyncio.sleep(period_s)
