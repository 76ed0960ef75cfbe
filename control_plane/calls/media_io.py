"""The caller's media as the IVR and the queue use it: prompts, music, digits.

Everything is played to the caller's party (from-tag C) of the caller's RTPengine call;
there is no "finished" event, so the reply's duration times the next step (DESIGN §5).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import structlog

from control_plane.ivr.prompts import PromptError, PromptLibrary
from control_plane.media.ng import NgClient

log = structlog.get_logger(__name__)

MUSIC = "music"
MUSIC_REPEATS = 10_000  # loops until stopped: a queue wait outlasting this is overflowed


class CallerMedia:
    """Prompts, music on hold and DTMF digits of one caller."""

    def __init__(self, ng: NgClient, prompts: PromptLibrary, *, call_id: str,
                 caller_tag: str) -> None:
        self.ng = ng
        self.prompts = prompts
        self.call_id = call_id
        self.caller_tag = caller_tag
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self._background: asyncio.Task[None] | None = None
        self.on_error: Callable[[str], None] = lambda what: None

    def digit_pressed(self, digit: str) -> None:
        """A digit from RTPengine's DTMF log (or SIP INFO)."""
        self.digits.put_nowait(digit)

    async def _play_file(self, prompt: str, language: str | None,
                         repeat: int | None = None) -> float:
        path = self.prompts.path(prompt, language)
        result = await self.ng.play_media(call_id=self.call_id, from_tag=self.caller_tag,
                                          file=str(path), repeat_times=repeat)
        return result.duration_ms / 1000.0

    async def stop(self) -> None:
        """Stop whatever plays (prompt or music)."""
        with contextlib.suppress(Exception):
            await self.ng.stop_media(call_id=self.call_id, from_tag=self.caller_tag)

    async def play(self, prompt: str, *, language: str, barge_in: bool) -> str | None:
        """Play one prompt; with barge-in the first digit stops it and is returned."""
        if barge_in and not self.digits.empty():
            return self.digits.get_nowait()  # typed ahead: no need to hear the prompt
        try:
            seconds = await self._play_file(prompt, language)
        except PromptError as exc:
            self.on_error(str(exc))
            return None
        if not barge_in:
            await asyncio.sleep(seconds)
            return None
        try:
            digit = await asyncio.wait_for(self.digits.get(), timeout=seconds)
        except TimeoutError:
            return None
        await self.stop()
        return digit

    async def digit(self, timeout_s: float) -> str | None:
        """The next digit within ``timeout_s``."""
        try:
            return await asyncio.wait_for(self.digits.get(), timeout=timeout_s)
        except TimeoutError:
            return None

    async def sequence(self, prompts: Sequence[str], language: str) -> None:
        """Play prompts one after the other, without barge-in."""
        for prompt in prompts:
            await self.play(prompt, language=language, barge_in=False)

    # ----- background: music on hold, announcements over it -----

    def start_music(self, *, before: Sequence[str] = (), language: str = "en") -> None:
        """Play ``before`` (an announcement), then loop music, in the background."""
        self.cancel_background()
        self._background = asyncio.get_running_loop().create_task(
            self._music(tuple(before), language)
        )

    async def _music(self, before: tuple[str, ...], language: str) -> None:
        try:
            await self.sequence(before, language)
            await self._play_file(MUSIC, None, repeat=MUSIC_REPEATS)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no music is bad, a dropped call is worse: keep the call
            log.error("music on hold failed", call_id=self.call_id, error=str(exc))
            self.on_error(f"music on hold failed: {exc}")

    def cancel_background(self) -> None:
        """Stop the background task (not the media: call `stop` for that)."""
        if self._background is not None and not self._background.done():
            self._background.cancel()
        self._background = None
