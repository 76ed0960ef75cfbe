"""Where a caller is in the center (a call session's phase)."""

from __future__ import annotations

import enum


class Phase(enum.StrEnum):
    """Where the caller is."""

    ANSWERING = "answering"
    IVR = "ivr"
    QUEUED = "queued"
    CONNECTED = "connected"
    VOICEMAIL = "voicemail"
    ENDED = "ended"
