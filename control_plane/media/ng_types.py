"""The ng wire format (JSON flavour) and the typed results callers need fields from.

Pure functions and frozen dataclasses, no I/O: a request is ``<cookie> <json object>``,
a reply is ``<cookie> <json object>`` with a ``result`` (``ok``, ``pong``, ``error`` with
``error-reason``; RTPengine 10.5 answers JSON when asked in JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from control_plane.media.ng_errors import NgError, NgProtocolError

Reply = dict[str, Any]

# What RTPengine answers on success; anything else in ``result`` is a refusal.
OK_RESULTS = frozenset({"ok", "pong"})


def encode_request(cookie: str, message: Mapping[str, Any]) -> bytes:
    """``<cookie> <json>`` as RTPengine expects; the cookie must not contain a space."""
    if not cookie or " " in cookie:
        raise ValueError(f"invalid ng cookie {cookie!r}")
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    return f"{cookie} {body}".encode()


def split_datagram(data: bytes) -> tuple[str, bytes]:
    """Split a reply into its cookie and body; ``ValueError`` if there is no cookie."""
    cookie, sep, body = data.partition(b" ")
    if not sep or not cookie:
        raise ValueError("no '<cookie> ' prefix")
    return cookie.decode("ascii", errors="replace"), body


def decode_reply(command: str, body: bytes) -> Reply:
    """Parse a reply body into a dict with a ``result``, or raise ``NgProtocolError``."""
    try:
        reply = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NgProtocolError(command, f"not JSON ({exc})") from None
    if not isinstance(reply, dict):
        raise NgProtocolError(command, f"JSON {type(reply).__name__}, not an object")
    if "result" not in reply:
        raise NgProtocolError(command, "no 'result' key")
    return reply


def check_result(command: str, reply: Reply) -> Reply:
    """Return ``reply`` if RTPengine accepted the request, else raise ``NgError``."""
    result = reply.get("result")
    if result in OK_RESULTS:
        return reply
    reason = reply.get("error-reason") or reply.get("message") or str(result)
    raise NgError(command, str(reason), reply)


# Each result keeps the full reply in ``raw`` (for logs and rarely used keys), out of eq/repr.


@dataclass(frozen=True, slots=True)
class SdpResult:
    """The SDP RTPengine rewrote (offer, answer): send it to the other side."""

    sdp: str
    raw: Reply = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PlayResult:
    """A started playback; ``duration_ms`` is the file's length (one repetition)."""

    duration_ms: int
    raw: Reply = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class MediaTotals:
    """Packet counters of a whole call from ``query`` (``totals``)."""

    rtp_packets: int = 0
    rtp_bytes: int = 0
    rtp_errors: int = 0
    rtcp_packets: int = 0
    rtcp_bytes: int = 0
    rtcp_errors: int = 0


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A call's state from ``query``: totals for the CDR, the rest in ``raw``."""

    totals: MediaTotals
    created: int = 0
    tags: tuple[str, ...] = ()
    raw: Reply = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    """A ``subscribe request``: the send-only SDP to offer the subscriber, and its tag."""

    sdp: str
    to_tag: str
    from_tags: tuple[str, ...] = ()
    raw: Reply = field(default_factory=dict, compare=False, repr=False)


def sdp_result(command: str, reply: Reply) -> SdpResult:
    """The ``sdp`` of an offer/answer reply (an ok reply without one is a protocol error)."""
    sdp = reply.get("sdp")
    if not isinstance(sdp, str) or not sdp:
        raise NgProtocolError(command, "ok reply without 'sdp'")
    return SdpResult(sdp=sdp, raw=reply)


def play_result(command: str, reply: Reply) -> PlayResult:
    """A play media reply; WITHOUT ``duration`` nothing was played (DESIGN §5): an error."""
    duration = reply.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise NgError(command, "no 'duration' in reply: nothing was played", reply)
    return PlayResult(duration_ms=int(duration), raw=reply)


def _counter(block: Any, key: str) -> int:
    value = block.get(key, 0) if isinstance(block, dict) else 0
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def query_result(reply: Reply) -> QueryResult:
    """Totals (missing counters read as 0: a call with no media yet has none)."""
    totals = reply.get("totals")
    totals = totals if isinstance(totals, dict) else {}
    rtp, rtcp = totals.get("RTP", {}), totals.get("RTCP", {})
    tags = reply.get("tags")
    return QueryResult(
        totals=MediaTotals(
            rtp_packets=_counter(rtp, "packets"), rtp_bytes=_counter(rtp, "bytes"),
            rtp_errors=_counter(rtp, "errors"), rtcp_packets=_counter(rtcp, "packets"),
            rtcp_bytes=_counter(rtcp, "bytes"), rtcp_errors=_counter(rtcp, "errors"),
        ),
        created=_counter(reply, "created"),
        tags=tuple(tags) if isinstance(tags, dict) else (),
        raw=reply,
    )


def subscribe_result(command: str, reply: Reply) -> SubscribeResult:
    """The send-only SDP and the subscription's ``to-tag`` (needed by answer/unsubscribe)."""
    sdp, to_tag = reply.get("sdp"), reply.get("to-tag")
    if not isinstance(sdp, str) or not isinstance(to_tag, str):
        raise NgProtocolError(command, "ok reply without 'sdp' and 'to-tag'")
    from_tags = reply.get("from-tags")
    tags = tuple(str(t) for t in from_tags) if isinstance(from_tags, list) else ()
    return SubscribeResult(sdp=sdp, to_tag=to_tag, from_tags=tags, raw=reply)
