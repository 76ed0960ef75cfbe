"""Streams onto a time line: 8 kHz 16-bit PCM channels, gaps as silence, aligned by arrival.

Each stream starts where its first packet arrived (relative to the time line's origin) and
places every later packet by its RTP timestamp, so lost packets leave silence of the right
length and jitter does not move audio. When the timestamp and the arrival disagree by
more than :data:`RESYNC_SAMPLES` (a sender restarting its clock, a hold), the stream is
re-anchored at the arrival. Buffers are bytearrays written by slice: a call's worth of audio
never goes through Python one sample at a time.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from pathlib import Path

from control_plane.recordings.errors import RecordingTooLong
from control_plane.recordings.g711 import decode_alaw, decode_ulaw
from control_plane.recordings.rtp import Kind, RtpPacket, unwrap

RATE = 8000
RESYNC_SAMPLES = RATE  # one second
#: Below this magnitude (about -36 dBFS) a sample counts as silence: line noise and comfort
#: noise stay under it, speech does not.
SILENCE_THRESHOLD = 512
#: The longest audio written (12 hours): beyond it the capture's times are corrupt.
MAX_SAMPLES = 12 * 3600 * RATE


class Channel:
    """One channel being filled: 16-bit little-endian PCM from the origin on."""

    def __init__(self, *, limit: int | None = None) -> None:
        self.pcm = bytearray()
        self.limit = limit  # samples; audio beyond it is cut (a voicemail's end)

    @property
    def samples(self) -> int:
        """Samples written so far (silence included)."""
        return len(self.pcm) // 2

    def write(self, position: int, pcm: bytes, *, path: Path, offset: int) -> None:
        """Put ``pcm`` at sample ``position``; before 0 and past the limit is cut."""
        if position < 0:
            pcm, position = pcm[-2 * position:], 0
        if self.limit is not None:
            pcm = pcm[: max(0, 2 * (self.limit - position))]
        if not pcm:
            return
        end = 2 * position + len(pcm)
        if end > 2 * MAX_SAMPLES:
            raise RecordingTooLong(
                f"audio would run past {MAX_SAMPLES // RATE // 3600} hours", path=path,
                offset=offset)
        if end > len(self.pcm):
            self.pcm.extend(bytes(end - len(self.pcm)))
        self.pcm[2 * position : end] = pcm

    def pad(self, samples: int) -> bytearray:
        """The channel, lengthened in place with silence to ``samples``."""
        self.pcm.extend(bytes(2 * samples - len(self.pcm)))
        return self.pcm


def decode(packet: RtpPacket) -> bytes:
    """The packet's audio as PCM (empty for events and comfort noise)."""
    if packet.kind is Kind.PCMU:
        return decode_ulaw(packet.payload)
    if packet.kind is Kind.PCMA:
        return decode_alaw(packet.payload)
    return b""


def place(channel: Channel, stream: list[RtpPacket], *, origin: float, path: Path) -> int:
    """Write one stream (in sequence order) on ``channel``; returns audio packets placed."""
    placed = 0
    anchor: tuple[int, int] | None = None  # (position, timestamp) the stream is placed by
    # Events and comfort noise take part in unwrapping the timestamps, not in the audio.
    for packet, stamp in zip(stream, unwrap((p.timestamp for p in stream), 32), strict=True):
        if not packet.audio:
            continue
        arrival = round((packet.time - origin) * RATE)
        if anchor is None or abs(anchor[0] + stamp - anchor[1] - arrival) > RESYNC_SAMPLES:
            anchor = (arrival, stamp)
        channel.write(anchor[0] + stamp - anchor[1], decode(packet), path=path,
                      offset=packet.offset)
        placed += 1
    return placed


def interleave(left: Channel, right: Channel) -> bytearray:
    """Two channels as stereo frames (left first), the shorter padded with silence."""
    frames = max(left.samples, right.samples)
    a, b = left.pad(frames), right.pad(frames)
    out = bytearray(4 * frames)
    out[0::4], out[1::4] = a[0::2], a[1::2]
    out[2::4], out[3::4] = b[0::2], b[1::2]
    return out


def sound_end(pcm: bytes | bytearray, *, threshold: int = SILENCE_THRESHOLD) -> int:
    """The sample after the last one at or above ``threshold`` (0: silence throughout)."""
    samples = array("h")
    samples.frombytes(bytes(pcm[: len(pcm) - len(pcm) % 2]))
    if sys.byteorder == "big":
        samples.byteswap()
    for index in range(len(samples) - 1, -1, -1):  # from the end: stops at the first sound
        if abs(samples[index]) >= threshold:
            return index + 1
    return 0


def first_arrival(streams: Iterable[list[RtpPacket]]) -> float | None:
    """When the earliest audio packet of any stream arrived (None: no audio at all)."""
    times = [p.time for stream in streams for p in stream if p.audio]
    return min(times) if times else None
