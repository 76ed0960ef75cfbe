"""Replaying a partition's log (from a checkpoint or from the start) gives the engine the
original had, and it goes on deciding exactly as the original did."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from control_plane.acd.engine import Engine
from control_plane.acd_store.codec import encode_checkpoint, encode_entry
from control_plane.acd_store.partition import replay
from control_plane.acd_store.ports import LogSnapshot
from tests.unit.acd.fingerprint import fingerprint
from tests.unit.acd_store.helpers import Recorded


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(5, 250),
       cut=st.floats(0, 1), stop=st.floats(0, 1))
def test_checkpoint_plus_tail_continues_like_the_original(seed: int, steps: int, cut: float,
                                                          stop: float) -> None:
    probe = Recorded(seed, steps, set())
    total = len(probe.events)
    at = min(int(cut * total), total - 1)
    until = at + int(stop * (total - at))
    rec = Recorded(seed, steps, {at})
    # the takeover replica: checkpoint taken before event `at`, log entries at..until
    entries = tuple(encode_entry(now, event) for now, event in rec.events[at:until])
    engine, _ = replay(LogSnapshot(rec.checkpoints[at], at, entries), "t")
    # it continues with the events the original applied after `until`, deciding alike
    for (now, event), expected in zip(rec.events[until:], rec.outcomes[until:], strict=True):
        assert engine.apply(event, now) == expected
    assert rec.engine is not None
    assert fingerprint(engine) == fingerprint(rec.engine)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(5, 200))
def test_replay_from_the_start_equals_the_original(seed: int, steps: int) -> None:
    rec = Recorded(seed, steps, set())
    start = encode_checkpoint(Engine().state, random.Random(seed))  # churn's seeded engine
    entries = tuple(encode_entry(now, event) for now, event in rec.events)
    engine, _ = replay(LogSnapshot(start, 0, entries), "t")
    assert rec.engine is not None
    assert fingerprint(engine) == fingerprint(rec.engine)
    assert engine.state.now == rec.engine.state.now
    for ref, call in rec.engine.state.calls.items():
        assert engine.state.calls[ref].arrived_at == call.arrived_at
        assert engine.position(ref) == rec.engine.position(ref)


def test_replay_without_checkpoint_is_seeded_per_partition() -> None:
    a, _ = replay(LogSnapshot(None, 0, ()), "tenant-a")
    b, _ = replay(LogSnapshot(None, 0, ()), "tenant-a")
    assert fingerprint(a) == fingerprint(b)
