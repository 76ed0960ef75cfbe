"""One participant of a mix: its RTP in (a small jitter buffer) and its RTP out.

Pure state, no sockets: the bridge feeds it datagrams and asks it for one frame per tick.
The buffer waits for `PREBUFFER` frames before playing (absorbs arrival jitter), drops the
oldest audio beyond `MAX_BUFFER` frames (a burst after a stall would otherwise add delay
for good), and drops packets older than the newest one seen (late or duplicated).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np

from control_plane.media.mixer import g711
from control_plane.media.mixer.frames import (
    FRAME_SAMPLES,
    RtpError,
    RtpPacket,
    build_rtp,
    parse_rtp,
    seq_newer,
)
from control_plane.media.mixer.g711 import Samples

PREBUFFER = 2
MAX_BUFFER = 8


@dataclass
class Participant:
    """A party of the mix, speaking ``codec`` (PCMU or PCMA) at 8 kHz, 20 ms frames."""

    name: str
    codec: str
    remote: tuple[str, int] | None = None  # where its mix goes (latched to the source)
    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    seq: int = field(default_factory=lambda: secrets.randbits(16))
    timestamp: int = field(default_factory=lambda: secrets.randbits(32))
    received: int = 0
    ignored: int = 0  # not RTP, another payload type (DTMF events, comfort noise), late
    sent: int = 0
    underruns: int = 0
    dropped_samples: int = 0
    _buffer: Samples = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    _playing: bool = False
    _last_seq: int | None = None
    _started: bool = False

    def __post_init__(self) -> None:
        if self.codec not in g711.PAYLOAD_TYPES:
            raise ValueError(f"the mixer speaks PCMU or PCMA, not {self.codec!r}")

    def receive(self, data: bytes, source: tuple[str, int]) -> None:
        """A datagram from the participant's side."""
        try:
            packet = parse_rtp(data)
        except RtpError:
            self.ignored += 1
            return
        if packet.payload_type != g711.PAYLOAD_TYPES[self.codec]:
            self.ignored += 1
            return
        if self._last_seq is not None and not seq_newer(packet.seq, self._last_seq):
            self.ignored += 1
            return
        self._last_seq = packet.seq
        self.remote = source  # symmetric RTP: answer where the media comes from
        self.received += 1
        self._buffer = np.concatenate((self._buffer, g711.decode(self.codec, packet.payload)))
        excess = len(self._buffer) - MAX_BUFFER * FRAME_SAMPLES
        if excess > 0:
            self._buffer = self._buffer[excess:]
            self.dropped_samples += excess

    def frame(self) -> Samples | None:
        """The next 20 ms of what it said, or None (nothing yet, or an underrun)."""
        if not self._playing:
            if len(self._buffer) < PREBUFFER * FRAME_SAMPLES:
                return None
            self._playing = True
        if len(self._buffer) < FRAME_SAMPLES:
            self._playing = False
            self.underruns += 1
            return None
        out, self._buffer = self._buffer[:FRAME_SAMPLES], self._buffer[FRAME_SAMPLES:]
        return out

    def packet(self, samples: Samples) -> bytes:
        """The next RTP packet of its mix (own SSRC, seq +1, timestamp +160)."""
        packet = RtpPacket(payload_type=g711.PAYLOAD_TYPES[self.codec], seq=self.seq,
                           timestamp=self.timestamp, ssrc=self.ssrc,
                           payload=g711.encode(self.codec, samples), marker=not self._started)
        self._started = True
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        self.sent += 1
        return build_rtp(packet)

    def skip(self, frames: int) -> None:
        """Ticks the bridge could not run (the loop stalled): keep the timestamp honest."""
        self.timestamp = (self.timestamp + frames * FRAME_SAMPLES) & 0xFFFFFFFF
