"""What a queued caller hears at an announcement: position, wait, and — when the wait is
long or unknown — the callback offer."""

from __future__ import annotations

import math
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from control_plane.calls.center import load_center
from control_plane.calls.phase import Phase
from control_plane.calls.queue_side import QueueSide

CENTER = Path(__file__).resolve().parents[3] / "control_plane" / "calls" / "demo_center.toml"


@dataclass
class HeardMedia:
    """Records what would be played."""

    played: list[tuple[str, ...]] = field(default_factory=list)

    def start_music(self, *, before: tuple[str, ...] | list[str] = (), language: str) -> None:
        self.played.append(tuple(before))


@dataclass
class Ctx:
    center: Any


class Queued(QueueSide):
    """The queue side with just what an announcement reads."""

    def __init__(self, queue: str) -> None:
        self.ctx = Ctx(load_center(CENTER))  # type: ignore[assignment]
        self.route = type("R", (), {"tenant": "acme"})()
        self.record = type("Rec", (), {"queue": queue})()
        self.phase = Phase.QUEUED
        self.language = "en"
        self.media = HeardMedia()  # type: ignore[assignment]
        self.callback = False
        self.callback_offered = False
        self.spawned: list[str] = []

    def spawn(self, work: Coroutine[object, object, object]) -> None:
        self.spawned.append(getattr(work, "__name__", "work"))
        work.close()


@pytest.mark.parametrize(("expected_s", "offered"), [
    (30.0, False), (119.0, False), (120.0, True), (900.0, True), (math.inf, True)])
def test_the_sales_queue_offers_a_callback_from_two_minutes_of_expected_wait(
        expected_s: float, offered: bool) -> None:
    caller = Queued("sales")
    caller.announce(3, expected_s)
    (heard,) = caller.media.played  # type: ignore[attr-defined]
    assert heard[:3] == ("queue_position_prefix", "digit_3", "queue_position_suffix")
    assert ("callback_offer" in heard) is offered
    assert bool(caller.spawned) is offered


def test_an_unknown_wait_is_not_announced_as_a_number() -> None:
    caller = Queued("billing")  # acme has no such queue: no callback offer configured
    caller.announce(1, math.inf)
    (heard,) = caller.media.played  # type: ignore[attr-defined]
    assert heard == ("queue_position_prefix", "digit_1", "queue_position_suffix")


def test_a_caller_who_chose_a_callback_is_not_offered_again() -> None:
    caller = Queued("sales")
    caller.callback = True
    caller.announce(2, 600.0)
    (heard,) = caller.media.played  # type: ignore[attr-defined]
    assert "callback_offer" not in heard
