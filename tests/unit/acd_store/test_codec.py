"""Log entries and checkpoints: exact round trips, and refusals of anything else."""

from __future__ import annotations

import json
import math
import os
import pickle

import pytest

from control_plane.acd.engine import Engine
from control_plane.acd.events import CallArrived, TimerFired
from control_plane.acd.model import CallRef, PriorityClass
from control_plane.acd_store.codec import (
    CHECKPOINT_MAGIC,
    decode_checkpoint,
    decode_entry,
    decode_value,
    encode_checkpoint,
    encode_entry,
    encode_value,
)
from control_plane.acd_store.errors import CorruptRecord
from tests.unit.acd.fingerprint import fingerprint
from tests.unit.acd_store.helpers import Recorded


def test_every_churn_event_round_trips_with_its_types() -> None:
    rec = Recorded(seed=5, steps=300, checkpoint_before=set())
    kinds = set()
    for now, event in rec.events:
        back_now, back = decode_entry(encode_entry(now, event))
        assert back == event and back_now == now
        # tags carry the types: enums stay enums, tuples stay tuples, sets stay sets
        assert encode_value(back) == encode_value(event)
        kinds.add(type(event).__name__)
    assert len(kinds) >= 12  # the workload covers most event kinds


def test_floats_and_priorities_are_exact() -> None:
    event = CallArrived(CallRef("t", "c"), "q", priority_class=PriorityClass.VIP,
                        attributes={"b": "2", "a": "1"})
    now = 1.7e9 + 0.1 + 1e-7
    back_now, back = decode_entry(encode_entry(now, event))
    assert back_now == now
    assert isinstance(back, CallArrived) and back.priority_class is PriorityClass.VIP
    assert list(back.attributes) == ["b", "a"]
    assert decode_value(encode_value(math.inf)) == math.inf


@pytest.mark.parametrize("raw", [
    b"not json", b"[]", b'{"n": 1}', b'{"n": "x", "e": {"$d": "TimerFired", "v": {}}}',
    b'{"n": 1, "e": {"$d": "Popen", "v": {}}}',
    b'{"n": 1, "e": {"$n": "CallRef", "v": ["t", "c"]}}',
    b'{"n": 1, "e": {"$d": "CallArrived", "v": {"nope": 1}}}',
    b'{"n": 1, "e": {"$e": "PriorityClass", "v": 9}}',
    b'{"n": 1, "e": [1, 2]}',
])
def test_bad_entries_are_corrupt_records(raw: bytes) -> None:
    with pytest.raises(CorruptRecord) as err:
        decode_entry(raw)
    assert err.value.error_id == "acd_store.corrupt_record"


def test_timer_entry_is_small() -> None:
    assert json.loads(encode_entry(2.0, TimerFired())) == {
        "n": 2.0, "e": {"$d": "TimerFired", "v": {}}}


def test_checkpoint_round_trips_the_engine() -> None:
    rec = Recorded(seed=9, steps=200, checkpoint_before={150})
    state, rng = decode_checkpoint(rec.checkpoints[150])
    restored = Engine(rng)
    restored.state = state
    for (now, event), expected in zip(rec.events[150:], rec.outcomes[150:], strict=True):
        assert restored.apply(event, now) == expected
    assert rec.engine is not None
    assert fingerprint(restored) == fingerprint(rec.engine)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("true",))


def test_checkpoint_refuses_foreign_globals() -> None:
    blob = CHECKPOINT_MAGIC + pickle.dumps((_Evil(), 1))
    with pytest.raises(CorruptRecord, match=r"(posix|os)\.system"):
        decode_checkpoint(blob)


@pytest.mark.parametrize("blob", [b"", b"ACDCK0\n", CHECKPOINT_MAGIC + b"\x80\x05junk",
                                  CHECKPOINT_MAGIC + pickle.dumps((1, 2))])
def test_damaged_checkpoints_are_corrupt_records(blob: bytes) -> None:
    with pytest.raises(CorruptRecord):
        decode_checkpoint(blob)


def test_checkpoint_bytes_start_with_the_header() -> None:
    engine = Engine()
    assert encode_checkpoint(engine.state, __import__("random").Random(1)).startswith(
        CHECKPOINT_MAGIC)
