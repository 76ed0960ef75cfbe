"""Just enough SDP for the controller: what a caller offers, and the placeholder answer.

RTPengine does the real SDP work; the controller only checks that a caller offers a codec
prompts can be played in, and builds the far side's placeholder answer from the caller's
own codecs (DESIGN §5: a codec the caller did not offer gives silence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Codecs RTPengine 10.5 plays prompts into (verified: PCMU, PCMA, G722, opus, G729).
PLAYABLE = frozenset({"PCMU", "PCMA", "G722", "OPUS", "G729"})
_STATIC = {0: ("PCMU", 8000), 8: ("PCMA", 8000), 9: ("G722", 8000), 18: ("G729", 8000)}
_MEDIA = re.compile(r"^m=audio (\d+)(?:/\d+)? (\S+) ([\d ]+)$")
_RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([^/\s]+)/(\d+)")


class SdpError(ValueError):
    """An SDP we cannot use; the message says why (it goes into the SIP reason)."""


@dataclass(frozen=True)
class Codec:
    """One payload type of the offer."""

    payload: int
    name: str
    rate: int
    fmtp: str | None = None


@dataclass(frozen=True)
class AudioOffer:
    """The caller's audio stream: its codecs in preference order."""

    port: int
    proto: str
    codecs: tuple[Codec, ...]

    @property
    def playable(self) -> tuple[Codec, ...]:
        """The offered codecs prompts and music can be played in."""
        return tuple(c for c in self.codecs if c.name.upper() in PLAYABLE)

    @property
    def telephone_event(self) -> Codec | None:
        """The RFC 4733 payload type, when offered."""
        return next((c for c in self.codecs if c.name.lower() == "telephone-event"), None)


def parse_audio(sdp: str) -> AudioOffer:
    """The first audio stream of ``sdp``; raises `SdpError` when there is none."""
    lines = [line.strip() for line in sdp.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or not lines[0].startswith("v="):
        raise SdpError("not an SDP body (no v= line)")
    media = None
    rtpmap: dict[int, tuple[str, int]] = {}
    fmtp: dict[int, str] = {}
    for line in lines:
        if line.startswith("m="):
            if media is not None:
                break
            media = _MEDIA.match(line) if line.startswith("m=audio") else None
            continue
        if media is None:
            continue
        if found := _RTPMAP.match(line):
            rtpmap[int(found.group(1))] = (found.group(2), int(found.group(3)))
        elif line.startswith("a=fmtp:"):
            pt, _, params = line[len("a=fmtp:"):].partition(" ")
            if pt.isdigit():
                fmtp[int(pt)] = params
    if media is None:
        raise SdpError("no audio stream in the offer")
    codecs = []
    for token in media.group(3).split():
        payload = int(token)
        name, rate = rtpmap.get(payload) or _STATIC.get(payload) or ("", 0)
        if name:
            codecs.append(Codec(payload, name, rate, fmtp.get(payload)))
    if not codecs:
        raise SdpError("the audio stream names no codec we know")
    return AudioOffer(int(media.group(1)), media.group(2), tuple(codecs))


def placeholder_answer(offer: AudioOffer, session_id: int, address: str) -> str:
    """The far side's answer while no agent is connected: the caller's playable codecs and
    telephone-event on port 9 (discard) of ``address`` (the controller's own: 0.0.0.0 would
    read as RFC 2543 hold and leave the caller with a send-only, addressless answer)."""
    chosen = list(offer.playable)
    if not chosen:
        raise SdpError("no codec we can play prompts in (need PCMU, PCMA, G722, opus or G729)")
    event = offer.telephone_event
    if event is not None:
        chosen.append(event)
    lines = [
        "v=0", f"o=cc {session_id} {session_id} IN IP4 {address}", "s=callcenter",
        f"c=IN IP4 {address}", "t=0 0",
        f"m=audio 9 {offer.proto} " + " ".join(str(c.payload) for c in chosen),
    ]
    for codec in chosen:
        lines.append(f"a=rtpmap:{codec.payload} {codec.name}/{codec.rate}")
        if codec.fmtp:
            lines.append(f"a=fmtp:{codec.payload} {codec.fmtp}")
    lines.append("a=sendrecv")
    return "\r\n".join(lines) + "\r\n"
