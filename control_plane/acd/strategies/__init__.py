"""Routing strategies, one module each behind `Strategy`; looked up by name per queue."""

from __future__ import annotations

from control_plane.acd.strategies.base import Selection, SelectionContext, Strategy
from control_plane.acd.strategies.best_match import BestMatch
from control_plane.acd.strategies.fewest_calls import FewestCalls
from control_plane.acd.strategies.least_talk_time import LeastTalkTime
from control_plane.acd.strategies.longest_idle import LongestIdle
from control_plane.acd.strategies.random_pick import RandomPick
from control_plane.acd.strategies.ring_all import RingAll
from control_plane.acd.strategies.ring_progressively import RingProgressively
from control_plane.acd.strategies.round_robin import RoundRobin
from control_plane.acd.strategies.top_down import TopDown
from control_plane.acd.strategies.weighted_random import WeightedRandom

STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        RingAll(),
        LongestIdle(),
        RoundRobin(),
        TopDown(),
        FewestCalls(),
        LeastTalkTime(),
        RandomPick(),
        WeightedRandom(),
        RingProgressively(),
        BestMatch(),
    )
}

__all__ = ["STRATEGIES", "Selection", "SelectionContext", "Strategy"]
