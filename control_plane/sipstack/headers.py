"""Typed header values: name-addr/addr-spec with parameters, Via, CSeq; header names."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.grammar import (
    GEN_VALUE_CHARS,
    TOKEN_CHARS,
    WS,
    Scanner,
    is_token,
    quote,
)
from control_plane.sipstack.uri import (
    NO_PARAMS,
    Params,
    SipUri,
    Uri,
    parse_uri,
    render_host,
    split_hostport,
)

COMPACT_FORMS = {
    "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length",
    "c": "Content-Type", "f": "From", "s": "Subject", "k": "Supported", "t": "To",
    "v": "Via", "o": "Event", "r": "Refer-To", "b": "Referred-By", "x": "Session-Expires",
    "u": "Allow-Events", "y": "Identity", "a": "Accept-Contact", "j": "Reject-Contact",
    "d": "Request-Disposition", "n": "Identity-Info",
}  # fmt: skip
_KNOWN = (
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info",
    "Authorization", "Call-ID", "Call-Info", "Contact", "Content-Disposition",
    "Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "CSeq", "Date",
    "Error-Info", "Expires", "From", "In-Reply-To", "Max-Forwards", "MIME-Version",
    "Min-Expires", "Organization", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "Record-Route", "Reply-To", "Require", "Retry-After", "Route", "Server",
    "Subject", "Supported", "Timestamp", "To", "Unsupported", "User-Agent", "Via", "Warning",
    "WWW-Authenticate", "Event", "Refer-To", "Referred-By", "Session-Expires", "Min-SE",
    "Allow-Events", "RSeq", "RAck", "Path", "Privacy", "P-Asserted-Identity", "Reason",
)  # fmt: skip
_CANONICAL = {name.lower(): name for name in _KNOWN}
_DATE_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} GMT\Z"
)
MAX_CSEQ = 2**31 - 1


def canonical_name(name: str) -> str:
    """The usual spelling of a header name; compact forms expand to the long name."""
    if len(name) == 1 and name.lower() in COMPACT_FORMS:
        return COMPACT_FORMS[name.lower()]
    return _CANONICAL.get(name.lower(), name)


def parse_header_params(scanner: Scanner) -> Params:
    """Parse `*( SEMI generic-param )` up to the end of the scanner's text."""
    items: list[tuple[str, str | None]] = []
    while not scanner.at_end():
        scanner.expect(";")
        name = scanner.token("parameter name")
        value: str | None = None
        if scanner.peek() == "=":
            scanner.pos += 1
            if scanner.peek() == '"':
                value = quote(scanner.quoted_string())
            else:
                value = scanner.take(GEN_VALUE_CHARS, f"value of parameter {name}")
        items.append((name, value))
    return Params(tuple(items))


@dataclass(frozen=True, slots=True)
class Address:
    """A From/To/Contact/Route value: display name, URI and header parameters."""

    uri: Uri
    display_name: str | None = None
    params: Params = NO_PARAMS

    @property
    def tag(self) -> str | None:
        """The tag parameter, if any."""
        return self.params.get("tag")

    def with_tag(self, tag: str) -> Address:
        """A copy carrying `tag`."""
        return replace(self, params=self.params.set("tag", tag))

    def __str__(self) -> str:
        name = f"{quote(self.display_name)} " if self.display_name is not None else ""
        return f"{name}<{self.uri}>{self.params.render()}"


def _display_tokens(text: str, what: str) -> str:
    words = text.split()
    if not words or not all(is_token(word) for word in words):
        raise SipParseError(f"Bad {what}: display name must be tokens or a quoted string")
    return " ".join(words)


def parse_address(text: str, what: str) -> Address:
    """Parse name-addr or addr-spec followed by header parameters."""
    scanner = Scanner(text, what)
    display: str | None = None
    first = scanner.peek()
    angle = text.find("<")
    if first == '"':
        display = scanner.quoted_string()
        scanner.skip_ws()
        if scanner.peek() != "<":
            raise scanner.fail("quoted display name without <URI>")
    elif angle >= 0 and ":" not in text[:angle]:
        before = scanner.until("<")
        display = _display_tokens(before, what) if before.strip(" \t") else None
    if scanner.peek() == "<":
        scanner.pos += 1
        uri_text = scanner.until(">")
        if scanner.pos >= len(text):
            raise scanner.fail("missing '>'")
        scanner.pos += 1
        if not uri_text or any(c in WS for c in uri_text):
            raise scanner.fail("white space or nothing inside <>")
        uri = parse_uri(uri_text, what)
    else:
        # addr-spec: the URI ends at white space or ';' and so cannot carry ?, ; or ,.
        uri_text = scanner.until(" \t;")
        if any(c in uri_text for c in '?,<>"'):
            raise scanner.fail("URI with ?, comma or <> must be enclosed in <>")
        uri = parse_uri(uri_text, what)
    return Address(uri=uri, display_name=display, params=parse_header_params(scanner))


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value: transport, sent-by and parameters (branch, received, rport…)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = NO_PARAMS

    @property
    def branch(self) -> str | None:
        """The branch parameter; RFC 3261 ones start with the magic cookie z9hG4bK."""
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """The received parameter added by the receiver."""
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """The rport value (RFC 3581) when filled in; None when absent or empty."""
        value = self.params.get("rport")
        return int(value) if value else None

    @property
    def sent_by(self) -> str:
        """host[:port] as written, for transaction matching."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{render_host(self.host).lower()}{port}"

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"SIP/2.0/{self.transport} {render_host(self.host)}{port}{self.params.render()}"


def parse_via(text: str) -> Via:
    """Parse one Via value (the list was already split on commas)."""
    scanner = Scanner(text, "Via")
    protocol = scanner.token("protocol name")
    scanner.expect("/")
    version = scanner.token("protocol version")
    scanner.expect("/")
    transport = scanner.token("transport")
    if protocol.upper() != "SIP":
        raise scanner.fail(f"unknown protocol {protocol}")
    if version != "2.0":
        raise SipParseError(f"Bad Via: SIP version {version} not supported", 505)
    scanner.skip_ws()
    hostport = scanner.take(TOKEN_CHARS | frozenset("[]:"), "sent-by")
    host, port = split_hostport(hostport, "Via")
    params = parse_header_params(scanner)
    for key in ("branch", "received", "maddr", "ttl"):
        if params.has(key) and not params.get(key):
            raise scanner.fail(f"empty {key}")
    rport = params.get("rport")
    if rport and (not rport.isdigit() or not 0 < int(rport) <= 65535):
        raise scanner.fail("invalid rport")
    return Via(transport=transport.upper(), host=host, port=port, params=params)


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq header: sequence number and method."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    """Parse `1*DIGIT LWS Method`; the number must stay below 2**31 (RFC 3261 §8.1.1.5)."""
    scanner = Scanner(text, "CSeq")
    number = scanner.take(frozenset("0123456789"), "sequence number")
    if len(number) > 10 or int(number) > MAX_CSEQ:
        raise scanner.fail("sequence number too large")
    if scanner.pos < len(text) and text[scanner.pos] not in WS:
        raise scanner.fail("sequence number is not a number")
    method = scanner.token("method")
    if not scanner.at_end():
        raise scanner.fail("trailing text")
    return CSeq(int(number), method)


def parse_int_header(text: str, what: str, maximum: int) -> int:
    """Parse a non-negative decimal header value no larger than `maximum`."""
    value = text.strip(" \t")
    if not value.isdigit() or not value.isascii() or len(value) > 12 or int(value) > maximum:
        raise SipParseError(f"Bad {what}: {value[:20]!r} is not a number up to {maximum}")
    return int(value)


def check_date(text: str) -> None:
    """Date must be an RFC 1123 date in GMT (RFC 3261 §20.17)."""
    if not _DATE_RE.match(text.strip(" \t")):
        raise SipParseError("Bad Date: must be an RFC 1123 date in GMT")


def sip_uri_of(address: Address) -> SipUri | None:
    """The address's URI when it is a sip:/sips: URI."""
    return address.uri if isinstance(address.uri, SipUri) else None
