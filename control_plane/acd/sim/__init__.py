"""Discrete-event simulator driving the ACD engine with synthetic traffic.

It is a test oracle (one queue, one skill, FIFO must match Erlang C/A) and a product feature
(compare two strategies on the same seeded traffic before rolling one out).
"""

from control_plane.acd.sim.simulator import QueueReport, SimReport, simulate
from control_plane.acd.sim.traffic import AgentSpec, QueueTraffic, Scenario, generate_arrivals

__all__ = [
    "AgentSpec",
    "QueueReport",
    "QueueTraffic",
    "Scenario",
    "SimReport",
    "generate_arrivals",
    "simulate",
]
