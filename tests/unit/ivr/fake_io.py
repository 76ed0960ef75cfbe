"""A scripted caller for the IVR runner, on a virtual clock.

It behaves like control_plane/calls/media_io.CallerMedia: digits the caller presses are
queued; a barge-in prompt returns at once with a digit already queued (type-ahead), else
plays for its duration and returns the first digit pressed meanwhile; a prompt without
barge-in plays to its end and leaves digits queued; ``digit`` waits up to its timeout.
Time only moves when the runner listens, so a test states exactly when each key is pressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from control_plane.ivr.flow import Node

PROMPT_S = 2.0


@dataclass
class Played:
    """One prompt the runner asked for."""

    prompt: str
    language: str
    barge_in: bool
    at: float
    interrupted_by: str | None = None


@dataclass
class FakeIo:
    """An `IvrIo` whose caller presses ``presses`` ((second, digit), any order)."""

    presses: Iterable[tuple[float, str]] = ()
    durations: Mapping[str, float] = field(default_factory=dict)
    webhook_answers: Mapping[str, str | None] = field(default_factory=dict)
    now: float = 0.0
    played: list[Played] = field(default_factory=list)
    waits: list[tuple[float, float]] = field(default_factory=list)  # (at, timeout)
    traces: list[tuple[str, str, str]] = field(default_factory=list)
    hooks: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pending = sorted(self.presses)

    def _first_until(self, deadline: float) -> str | None:
        if self._pending and self._pending[0][0] <= deadline:
            at, digit = self._pending.pop(0)
            self.now = max(self.now, at)
            return digit
        self.now = deadline
        return None

    async def play(self, prompt: str, *, language: str, barge_in: bool) -> str | None:
        entry = Played(prompt, language, barge_in, self.now)
        self.played.append(entry)
        seconds = self.durations.get(prompt, PROMPT_S)
        if not barge_in:
            self.now += seconds
            return None
        entry.interrupted_by = self._first_until(self.now + seconds)
        return entry.interrupted_by

    async def digit(self, timeout_s: float) -> str | None:
        self.waits.append((self.now, timeout_s))
        return self._first_until(self.now + timeout_s)

    async def webhook(self, url: str, payload: dict[str, str], timeout_s: float) -> str | None:
        self.hooks.append((url, dict(payload), timeout_s))
        return self.webhook_answers.get(url)

    def trace(self, node: Node, event: str, value: str = "") -> None:
        self.traces.append((node.id, event, value))

    @property
    def prompts(self) -> list[str]:
        """The prompts asked for, in order."""
        return [p.prompt for p in self.played]

    @property
    def left(self) -> list[str]:
        """Digits pressed that nobody read."""
        return [d for _, d in self._pending]
