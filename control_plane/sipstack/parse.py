"""Strict parsing of SIP messages from bytes (RFC 3261 §7, §18.3, §25).

`parse_message` either returns a SipRequest/SipResponse or raises SipParseError; any other
exception escaping it is a bug (the fuzz tests hold it to that).
"""

from __future__ import annotations

import re

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.grammar import WORD_CHARS, is_token, split_commas
from control_plane.sipstack.headers import (
    Address,
    CSeq,
    Via,
    canonical_name,
    check_date,
    parse_address,
    parse_cseq,
    parse_int_header,
    parse_via,
)
from control_plane.sipstack.message import SipMessage, SipRequest, SipResponse
from control_plane.sipstack.uri import SipUri, parse_uri

_VERSION_RE = re.compile(r"SIP/(\d+)\.(\d+)\Z", re.IGNORECASE)
_SINGLE = ("From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type")
_TYPED = frozenset({"Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length",
                    "Contact", "Route", "Record-Route"})  # fmt: skip
MAX_CONTENT_LENGTH = 2**24


def split_head(data: bytes) -> tuple[bytes, int]:
    """Return the header block (without the blank line) and the offset of the body."""
    start = 0
    while data.startswith(b"\r\n", start):  # RFC 3261 §7.5: ignore leading empty lines
        start += 2
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        raise SipParseError("Incomplete message: no blank line after the headers")
    return data[start:end], end + 4


def _header_lines(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Decode, unfold and split the header block into the start line and (name, value)s."""
    raw_lines = head.split(b"\r\n")
    if any(b"\r" in line or b"\n" in line for line in raw_lines):
        raise SipParseError("Bare CR or LF in the headers")
    try:
        lines = [line.decode("utf-8") for line in raw_lines]
    except UnicodeDecodeError:
        raise SipParseError("Headers are not UTF-8") from None
    start_line = lines[0]
    unfolded: list[str] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if not unfolded:
                raise SipParseError("Continuation line before any header")
            unfolded[-1] += " " + line.strip(" \t")
        else:
            unfolded.append(line)
    headers: list[tuple[str, str]] = []
    for line in unfolded:
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not is_token(name):
            raise SipParseError(f"Malformed header line {line[:40]!r}")
        headers.append((canonical_name(name), value.strip(" \t")))
    return start_line, headers


def _check_version(text: str) -> None:
    match = _VERSION_RE.match(text)
    if not match:
        raise SipParseError(f"Bad SIP version {text[:20]!r}")
    if (int(match[1]), int(match[2])) != (2, 0):
        raise SipParseError(f"SIP version {text} not supported", 505)


def _check_start_version(start_line: str) -> None:
    # Checked before the headers so that SIP/7.0 gets 505, whatever else is broken.
    if start_line.startswith("SIP/"):
        _check_version(start_line.partition(" ")[0])
        return
    last = start_line.rpartition(" ")[2]
    if _VERSION_RE.match(last):
        _check_version(last)


def _only(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name, [])
    if not values:
        raise SipParseError(f"Missing {name} header")
    return values[0]


def _addresses(values: list[str], what: str) -> tuple[Address, ...]:
    return tuple(parse_address(part, what) for v in values for part in split_commas(v, what))


def _check_call_id(value: str) -> str:
    word_a, _, word_b = value.partition("@")
    if not word_a or ("@" in value and not word_b) or "@" in word_b:
        raise SipParseError("Bad Call-ID")
    if any(c not in WORD_CHARS for c in word_a + word_b):
        raise SipParseError("Bad Call-ID: invalid character")
    return value


def parse_message(data: bytes) -> SipMessage:
    """Parse one SIP message from a datagram (or a stream frame cut by Content-Length).

    RFC 3261 §18.3: a Content-Length larger than the bytes received is an error; bytes
    beyond Content-Length are discarded; without Content-Length the body is the rest.
    """
    head, body_at = split_head(data)
    start_line, header_list = _header_lines(head)
    _check_start_version(start_line)
    grouped: dict[str, list[str]] = {}
    for name, value in header_list:
        grouped.setdefault(name, []).append(value)
    for name in _SINGLE:
        if len(grouped.get(name, [])) > 1:
            raise SipParseError(f"More than one {name} header")
    via_values = grouped.get("Via", [])
    if not via_values:
        raise SipParseError("Missing Via header")
    vias = tuple(parse_via(part) for v in via_values for part in split_commas(v, "Via"))
    from_ = parse_address(_only(grouped, "From"), "From")
    to = parse_address(_only(grouped, "To"), "To")
    call_id = _check_call_id(_only(grouped, "Call-ID"))
    cseq = parse_cseq(_only(grouped, "CSeq"))
    if "Date" in grouped:
        check_date(grouped["Date"][0])
    contact_values = grouped.get("Contact", [])
    star_contact = [v for v in contact_values if v == "*"]
    contact = _addresses([v for v in contact_values if v != "*"], "Contact")
    route = _addresses(grouped.get("Route", []), "Route")
    record_route = _addresses(grouped.get("Record-Route", []), "Record-Route")
    others = tuple((n, v) for n, v in header_list if n not in _TYPED)
    others += tuple(("Contact", v) for v in star_contact)
    body = data[body_at:]
    if "Content-Length" in grouped:
        length = parse_int_header(
            grouped["Content-Length"][0], "Content-Length", MAX_CONTENT_LENGTH
        )
        if length > len(body):
            raise SipParseError("Content-Length larger than the message body")
        body = body[:length]
    common = {"via": vias, "from_": from_, "to": to, "call_id": call_id, "cseq": cseq,
              "contact": contact, "route": route, "record_route": record_route,
              "headers": others, "body": body}  # fmt: skip
    if start_line.startswith("SIP/"):
        return _parse_response(start_line, common)
    return _parse_request(start_line, grouped, common)


def _parse_response(start_line: str, common: dict[str, object]) -> SipResponse:
    version, _, rest = start_line.partition(" ")
    _check_version(version)
    code, space, reason = rest.partition(" ")
    if not space or len(code) != 3 or not code.isdigit() or not code.isascii():
        raise SipParseError("Bad Status-Line: status code must be three digits")
    if not 100 <= int(code) <= 699:
        raise SipParseError("Bad Status-Line: status code out of range")
    return SipResponse(status=int(code), reason=reason, **common)  # type: ignore[arg-type]


def _parse_request(
    start_line: str, grouped: dict[str, list[str]], common: dict[str, object]
) -> SipRequest:
    parts = start_line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError("Bad Request-Line: must be Method SP Request-URI SP SIP/2.0")
    method, uri_text, version = parts
    _check_version(version)
    if not is_token(method):
        raise SipParseError("Bad Request-Line: method is not a token")
    uri = parse_uri(uri_text, "Request-URI", allow_headers=False)
    if isinstance(uri, SipUri) and uri.headers:
        raise SipParseError("Bad Request-URI: headers are not allowed")
    cseq = common["cseq"]
    assert isinstance(cseq, CSeq)
    if cseq.method != method:
        raise SipParseError("CSeq method does not match the Request-Line")
    max_forwards = None
    if "Max-Forwards" in grouped:
        max_forwards = parse_int_header(grouped["Max-Forwards"][0], "Max-Forwards", 255)
    return SipRequest(method=method, uri=uri, max_forwards=max_forwards, **common)  # type: ignore[arg-type]


_REPLY_HEADERS = ("Via", "From", "To", "Call-ID", "CSeq")


def error_reply(data: bytes, error: SipParseError) -> bytes | None:
    """Best-effort stateless error answer to a request that failed to parse.

    The headers a client needs to match the answer are copied verbatim; None when the
    bytes are a response, an ACK, or lack a readable Via (then the message is dropped).
    """
    try:
        head, _ = split_head(data)
        lines = head.decode("utf-8", errors="strict").split("\r\n")
    except (SipParseError, UnicodeDecodeError):
        return None
    if lines[0].startswith("SIP/") or lines[0].upper().startswith("ACK "):
        return None
    kept: list[str] = []
    current: str | None = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and current is not None:
            kept[-1] += " " + line.strip(" \t")
            continue
        name, colon, value = line.partition(":")
        current = canonical_name(name.strip(" \t")) if colon else None
        if current in _REPLY_HEADERS:
            kept.append(current + ": " + value.strip(" \t"))
        else:
            current = None
    if not any(line.startswith("Via:") for line in kept):
        return None
    reason = "".join(c for c in error.reason if c.isprintable() and c.isascii())[:100]
    text = f"SIP/2.0 {error.status} {reason}\r\n" + "".join(f"{k}\r\n" for k in kept)
    return (text + "Content-Length: 0\r\n\r\n").encode()


__all__ = ["Via", "error_reply", "parse_message", "split_head"]
