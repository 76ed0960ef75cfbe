"""SIP requests and responses as frozen dataclasses, and their wire encoding.

The headers the stack itself needs are typed fields; every other header is kept, in
order, as (name, value) in `headers`. Content-Length is never stored: `encode()` writes
it from the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from control_plane.sipstack.grammar import split_commas
from control_plane.sipstack.headers import Address, CSeq, Via
from control_plane.sipstack.uri import Uri

SIP_VERSION = "SIP/2.0"
# Headers whose values are comma-separated lists, so that `header_values` splits them.
LIST_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "allow", "require", "proxy-require",
     "supported", "unsupported", "allow-events", "content-encoding", "content-language",
     "in-reply-to", "path", "warning"}
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class _Message:
    via: tuple[Via, ...]
    from_: Address
    to: Address
    call_id: str
    cseq: CSeq
    contact: tuple[Address, ...] = ()
    record_route: tuple[Address, ...] = ()
    route: tuple[Address, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header kept in `headers` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of a header kept in `headers`, list headers split on commas."""
        lowered = name.lower()
        values: list[str] = []
        for key, value in self.headers:
            if key.lower() == lowered:
                if lowered in LIST_HEADERS and value.strip():
                    values.extend(split_commas(value, name))
                else:
                    values.append(value)
        return tuple(values)

    @property
    def top_via(self) -> Via:
        """The first Via (the sender of this hop)."""
        return self.via[0]

    @property
    def content_type(self) -> str | None:
        """The Content-Type value, if any."""
        return self.header("Content-Type")

    def _encode_headers(self, lines: list[str]) -> None:
        lines.extend(f"Via: {via}" for via in self.via)
        lines.extend(f"Route: {route}" for route in self.route)
        lines.extend(f"Record-Route: {rr}" for rr in self.record_route)
        lines.append(f"From: {self.from_}")
        lines.append(f"To: {self.to}")
        lines.append(f"Call-ID: {self.call_id}")
        lines.append(f"CSeq: {self.cseq}")
        lines.extend(f"Contact: {contact}" for contact in self.contact)
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        lines.append(f"Content-Length: {len(self.body)}")

    def _finish(self, lines: list[str]) -> bytes:
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(frozen=True, slots=True, kw_only=True)
class SipRequest(_Message):
    """A SIP request. `max_forwards` is None only for RFC 2543 peers that omit it."""

    method: str
    uri: Uri
    max_forwards: int | None = 70

    def encode(self) -> bytes:
        """The request on the wire."""
        lines = [f"{self.method} {self.uri} {SIP_VERSION}"]
        if self.max_forwards is not None:
            lines.append(f"Max-Forwards: {self.max_forwards}")
        self._encode_headers(lines)
        return self._finish(lines)

    def evolve(self, **changes: object) -> SipRequest:
        """A copy with some fields changed (dataclasses.replace, typed for callers)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class SipResponse(_Message):
    """A SIP response."""

    status: int
    reason: str = field(default="")

    def encode(self) -> bytes:
        """The response on the wire."""
        lines = [f"{SIP_VERSION} {self.status} {self.reason}"]
        self._encode_headers(lines)
        return self._finish(lines)

    def evolve(self, **changes: object) -> SipResponse:
        """A copy with some fields changed (dataclasses.replace, typed for callers)."""
        return replace(self, **changes)  # type: ignore[arg-type]


SipMessage = SipRequest | SipResponse

REASON_PHRASES = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 408: "Request Timeout", 415: "Unsupported Media Type",
    416: "Unsupported URI Scheme", 420: "Bad Extension", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    491: "Request Pending", 500: "Server Internal Error", 501: "Not Implemented",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    600: "Busy Everywhere", 603: "Decline",
}  # fmt: skip


def make_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    contact: tuple[Address, ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> SipResponse:
    """A response to `request` per RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied.

    `to_tag` is added to To unless the request's To already carries one (in-dialog);
    Record-Route is copied into 2xx/1xx answers to dialog-creating requests.
    """
    to = request.to
    if to_tag is not None and to.tag is None and status != 100:
        to = to.with_tag(to_tag)
    record_route = request.record_route if 100 < status < 300 else ()
    return SipResponse(
        status=status,
        reason=REASON_PHRASES.get(status, "Unknown") if reason is None else reason,
        via=request.via,
        from_=request.from_,
        to=to,
        call_id=request.call_id,
        cseq=request.cseq,
        contact=contact,
        record_route=record_route,
        headers=headers,
        body=body,
    )
