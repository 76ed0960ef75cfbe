"""Voicemail: greeting, tone, then the caller's message until #, the time limit or hangup.

The message is what RTPengine records of the caller's own stream between the tone and the
end (pcap method); after hangup the recordings converter turns that span into the WAV and
indexes it for the queue's agents and supervisors.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession

MAX_MESSAGE_S = 120.0


async def take_message(session: CallSession, queue: str) -> None:
    """Play the greeting and the tone, then listen until the message is over."""
    media = session.media
    await media.sequence(("voicemail_greeting", "beep"), session.language)
    session.record.voicemail_started(session.ctx.wall())
    await session.start_recording()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_MESSAGE_S
    try:
        while (remaining := deadline - loop.time()) > 0:
            if await media.digit(remaining) == "#":
                break
    finally:  # a hangup mid-message still leaves the message
        session.record.voicemail_ended(session.ctx.wall())
    await media.play("goodbye", language=session.language, barge_in=False)
