"""SDP and RTP helpers for the media tests: a caller with a real UDP socket."""

from __future__ import annotations

import math
import re
import socket
import struct
import wave
from pathlib import Path

PCMU, TELEPHONE_EVENT = 0, 101
SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz


def caller_sdp(address: str, port: int) -> str:
    """A caller offering PCMU + telephone-event."""
    return (
        f"v=0\r\no=caller 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP {PCMU} {TELEPHONE_EVENT}\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
    )


def placeholder_answer(caller: str) -> str:
    """The far side's placeholder: the caller's own codecs on port 9 (DESIGN §5)."""
    return re.sub(r"m=audio \d+ ", "m=audio 9 ", caller.replace("o=caller", "o=cc"))


def media_port(sdp: str) -> int:
    """The first audio port an SDP names."""
    found = re.search(r"^m=audio (\d+) ", sdp, re.MULTILINE)
    assert found, sdp
    return int(found.group(1))


class RtpSender:
    """One RTP stream (one SSRC) from a bound UDP socket to RTPengine."""

    def __init__(self, sock: socket.socket, destination: tuple[str, int]) -> None:
        self.sock = sock
        self.destination = destination
        self.seq = 1000
        self.timestamp = 160_000
        self.ssrc = 0x0C0FFEE

    def _send(self, payload_type: int, payload: bytes, *, marker: bool = False) -> None:
        self.seq = (self.seq + 1) & 0xFFFF
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type,
                             self.seq, self.timestamp, self.ssrc)
        self.sock.sendto(header + payload, self.destination)

    def pcmu(self, packets: int) -> None:
        """``packets`` × 20 ms of PCMU silence."""
        for _ in range(packets):
            self._send(PCMU, b"\xff" * SAMPLES_PER_PACKET)
            self.timestamp += SAMPLES_PER_PACKET

    def digit(self, event: int, packets: int = 5) -> None:
        """An RFC 4733 event: ``packets`` updates, then the end packet three times."""
        duration = 0
        for index in range(packets):
            duration += SAMPLES_PER_PACKET
            self._send(TELEPHONE_EVENT, struct.pack("!BBH", event, 10, duration),
                       marker=index == 0)
        for _ in range(3):  # E bit set; sent three times as RFC 4733 §2.5.1.4 advises
            self._send(TELEPHONE_EVENT, struct.pack("!BBH", event, 0x80 | 10, duration))
        self.timestamp += duration


def write_tone(path: Path, seconds: float = 1.0, hertz: float = 440.0) -> Path:
    """An 8 kHz mono 16-bit WAV of a sine tone (what prompts are)."""
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * hertz * i / 8000)))
            for i in range(frames)))
    return path
