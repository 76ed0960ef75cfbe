"""The sink's memory of recent event ids (duplicates dropped before the spool) and the
JSON codec of spooled blocks."""

from __future__ import annotations

import json

import pytest

from analytics.sink.codec import dumps, loads
from analytics.sink.recent import RecentIds


def test_a_block_of_new_ids_is_taken_whole_and_remembered() -> None:
    recent = RecentIds(100)
    assert recent.admit("queue_calls", ["a", "b", "c"]) is None
    assert ("queue_calls", "b") in recent and ("cdr", "b") not in recent
    assert recent.admit("cdr", ["b"]) is None  # tables are apart


def test_repeats_are_dropped_across_and_within_blocks() -> None:
    recent = RecentIds(100)
    recent.admit("t", ["a", "b"])
    assert recent.admit("t", ["b", "c", "c", "d", "a"]) == [1, 3]
    assert not recent.admit_one("t", "d") and recent.admit_one("t", "e")


def test_forgotten_ids_are_new_again() -> None:
    recent = RecentIds(100)
    recent.admit("t", ["a", "b", "c"])
    recent.forget("t", ["a", "c"])
    assert recent.admit("t", ["a", "b", "c"]) == [0, 2]
    assert len(recent) == 3


def test_memory_is_bounded_and_keeps_the_latest_half() -> None:
    recent = RecentIds(10)
    for n in range(100):
        recent.admit_one("t", f"e{n}")
        assert len(recent) <= 10
    assert all(("t", f"e{n}") in recent for n in range(95, 100))
    assert ("t", "e0") not in recent
    with pytest.raises(ValueError, match="at least 2"):
        RecentIds(1)


@pytest.mark.parametrize("value", [
    {"event_id": ["a", "é", "x\ud800y"], "n": [0, 2**64 - 1]},  # lone surrogate: fallback
    [2**70, 1.5, None, "tab\tnew\nline"],
])
def test_codec_round_trips_what_the_standard_library_does(value: object) -> None:
    text = dumps(value)
    assert "\n" not in text  # spool records are lines
    text.encode()  # always writable as UTF-8
    assert loads(text) == value == json.loads(text)
