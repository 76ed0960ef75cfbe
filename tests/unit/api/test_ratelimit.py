"""The sliding window behind login rate limits."""

from __future__ import annotations

import pytest

from control_plane.auth.ratelimit import SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_then_retry_after_then_free_again() -> None:
    clock = Clock()
    window = SlidingWindow(limit=3, window_seconds=60, clock=clock)
    for step in range(3):
        assert window.retry_after("k") is None
        window.hit("k")
        clock.now += 10 if step < 2 else 5
    # Hits at 1000, 1010, 1020; now 1025: blocked until the first leaves at 1060.
    assert window.retry_after("k") == pytest.approx(35)
    assert window.retry_after("other") is None
    clock.now = 1060
    assert window.retry_after("k") is None
    window.hit("k")
    assert window.retry_after("k") == pytest.approx(10)  # 1010 leaves at 1070


def test_keys_expire_and_memory_is_bounded() -> None:
    clock = Clock()
    window = SlidingWindow(limit=1, window_seconds=5, max_keys=100, clock=clock)
    for i in range(1000):
        window.hit(("10.0.0.1", f"user{i}"))
    assert len(window) == 100
    assert window.retry_after(("10.0.0.1", "user999")) is not None
    assert window.retry_after(("10.0.0.1", "user0")) is None  # evicted, oldest first
    clock.now += 5
    assert window.retry_after(("10.0.0.1", "user999")) is None
    assert len(window) == 99


def test_many_hits_on_one_key_keep_only_what_matters() -> None:
    clock = Clock()
    window = SlidingWindow(limit=2, window_seconds=60, clock=clock)
    for _ in range(10_000):
        window.hit("k")
    assert window.retry_after("k") == pytest.approx(60)
