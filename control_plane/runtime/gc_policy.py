"""The garbage-collector policy of a process that runs the ACD engine.

The engine's state is long-lived and large: at 10,000 agents about 230,000 objects the cyclic
collector tracks (agents, their queue lists, queues, configuration), at 50,000 over a million.
With CPython's defaults every full collection walks all of them (about half a second at
50,000 agents, in the middle of whatever decision is running), and a generation-0 pass runs
every 700 net container allocations. Nothing in that state is ever cyclic garbage: it is
loaded once at start-up and freed by reference counting when it goes.

So once the configuration is loaded and the configured agents are logged in, the process
calls `apply_gc_policy()` once:
- `gc.collect()` then `gc.freeze()`: what is alive then (modules, configuration, the engine's
  queues and agents) moves to the permanent generation, which no later collection walks.
  Cyclic garbage among those objects would never be reclaimed; the engine's calls, agents
  and queues leave through reference counting (`tests/unit/acd/test_gc_policy.py` checks
  that a churned engine leaves no cycle behind), and the objects of requests, calls and
  sessions created afterwards are collected as before.
- a generation-0 threshold of 10,000 instead of 700: young objects that die within a few
  thousand allocations (decision records, commands, timer entries) are freed by reference
  counting before any pass walks them. Generations 1 and 2 keep their default ratios (10,
  10): cyclic garbage that outlived the young passes reaches a full collection after about
  1M net allocations (and CPython's own rule: once a quarter of the old objects are new).

The control plane's start-up (`control_plane.app`, once the call controller is running) and
`loadtests/bench_acd.py` (once the benchmark's centre is configured and its agents are logged
in) both call this function: the benchmark measures the policy production runs.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass


class GcPolicyError(ValueError):
    """A policy with an unusable threshold; `error_id` is stable for callers and logs."""

    error_id = "gc_policy.invalid_threshold"

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.error_id}: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class GcPolicy:
    """Collector thresholds (as `gc.set_threshold` takes them) and whether to freeze."""

    gen0: int = 10_000
    gen1: int = 10
    gen2: int = 10
    freeze: bool = True

    def __post_init__(self) -> None:
        for name in ("gen0", "gen1", "gen2"):
            value = getattr(self, name)
            # bool is an int, and 0 would switch that generation's collections off.
            if type(value) is not int or value < 1:
                raise GcPolicyError(f"{name} threshold must be an int >= 1, got {value!r}")


ENGINE_POLICY = GcPolicy()
# CPython's own thresholds, which `reset_gc_policy` puts back.
DEFAULT_THRESHOLDS = (700, 10, 10)


@dataclass(frozen=True, slots=True)
class GcApplied:
    """What `apply_gc_policy` did: objects moved to the permanent generation, thresholds."""

    frozen: int
    thresholds: tuple[int, int, int]


def apply_gc_policy(policy: GcPolicy = ENGINE_POLICY) -> GcApplied:
    """Freeze what is alive now (the loaded state) and raise the generation-0 threshold.

    Call it once the long-lived state is loaded: objects created later are collected as
    usual. Calling it again freezes what has become long-lived since.
    """
    if policy.freeze:
        gc.collect()
        gc.freeze()
    gc.set_threshold(policy.gen0, policy.gen1, policy.gen2)
    return GcApplied(frozen=gc.get_freeze_count(), thresholds=gc.get_threshold())


def reset_gc_policy() -> None:
    """Back to CPython's defaults: nothing frozen, default thresholds.

    For a process that hosts several engines in turn (the benchmark runs one size after the
    other, each as a fresh deployment would); a deployed process never calls it.
    """
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    gc.collect()
