"""SIP/SIPS URIs (RFC 3261 §19.1) and other absolute URIs, with their parameters."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.grammar import (
    HEADER_CHARS,
    PARAM_CHARS,
    PASSWORD_CHARS,
    USER_CHARS,
    check_chars,
    is_scheme,
)

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?\Z")
# Characters of an opaque absolute URI (RFC 2396 uric plus '#'); no white space, <, >, ".
_OPAQUE_RE = re.compile(r"[A-Za-z0-9\-_.!~*'();/?:@&=+$,%#\[\]]+\Z")


@dataclass(frozen=True, slots=True)
class Params:
    """Ordered `;name[=value]` parameters; names compare case-insensitively."""

    items: tuple[tuple[str, str | None], ...] = ()

    def get(self, name: str) -> str | None:
        """The value of `name` ('' for a flag without value), or None when absent."""
        lowered = name.lower()
        for key, value in self.items:
            if key.lower() == lowered:
                return "" if value is None else value
        return None

    def has(self, name: str) -> bool:
        """True if the parameter is present, with or without a value."""
        return self.get(name) is not None

    def set(self, name: str, value: str | None) -> Params:
        """A copy with `name` replaced (or appended) by `value`."""
        lowered = name.lower()
        kept = tuple(item for item in self.items if item[0].lower() != lowered)
        return Params((*kept, (name, value)))

    def remove(self, name: str) -> Params:
        """A copy without `name`."""
        lowered = name.lower()
        return Params(tuple(item for item in self.items if item[0].lower() != lowered))

    def render(self) -> str:
        """The `;name=value` text."""
        return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self.items)


NO_PARAMS = Params()


def parse_host(text: str, what: str) -> str:
    """Validate a host (hostname, IPv4 or [IPv6]) and return it without brackets."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise SipParseError(f"Bad {what}: unterminated IPv6 reference")
        inner = text[1:-1]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            raise SipParseError(f"Bad {what}: invalid IPv6 address") from None
        return inner
    if not _HOSTNAME_RE.match(text):
        raise SipParseError(f"Bad {what}: invalid host {text!r}")
    if text.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            raise SipParseError(f"Bad {what}: invalid IPv4 address") from None
    return text


def parse_port(text: str, what: str) -> int:
    """Validate a port number (1..65535)."""
    if not text.isdigit() or len(text) > 5 or not 0 < int(text) <= 65535:
        raise SipParseError(f"Bad {what}: invalid port {text!r}")
    return int(text)


def render_host(host: str) -> str:
    """A host as it appears in a URI or Via: IPv6 addresses get brackets."""
    return f"[{host}]" if ":" in host else host


def split_hostport(text: str, what: str) -> tuple[str, int | None]:
    """Split and validate `host[:port]`."""
    if text.startswith("["):
        end = text.find("]")
        host_text, rest = text[: end + 1], text[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise SipParseError(f"Bad {what}: malformed IPv6 reference")
        port_text = rest[1:] if rest else None
    else:
        host_text, sep, port = text.partition(":")
        port_text = port if sep else None
    host = parse_host(host_text, what)
    return host, None if port_text is None else parse_port(port_text, what)


def parse_uri_params(text: str, what: str) -> Params:
    """Parse URI parameters (the text after the first ';', without it)."""
    items: list[tuple[str, str | None]] = []
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        if not name:
            raise SipParseError(f"Bad {what}: empty URI parameter")
        check_chars(name, PARAM_CHARS, what)
        if sep:
            if not value:
                raise SipParseError(f"Bad {what}: empty value of URI parameter {name}")
            check_chars(value, PARAM_CHARS, what)
        items.append((name, value if sep else None))
    return Params(tuple(items))


@dataclass(frozen=True, slots=True)
class SipUri:
    """A sip: or sips: URI; user, password and parameter text are kept %-escaped as sent."""

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    scheme: str = "sip"
    params: Params = NO_PARAMS
    headers: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        userinfo = ""
        if self.user is not None:
            userinfo = self.user + (f":{self.password}" if self.password is not None else "") + "@"
        port = f":{self.port}" if self.port is not None else ""
        headers = ""
        if self.headers:
            headers = "?" + "&".join(f"{k}={v}" for k, v in self.headers)
        hostport = f"{render_host(self.host)}{port}"
        return f"{self.scheme}:{userinfo}{hostport}{self.params.render()}{headers}"

    def with_params(self, params: Params) -> SipUri:
        """A copy with other parameters."""
        return replace(self, params=params)

    @property
    def transport(self) -> str:
        """The transport parameter in upper case, UDP when absent."""
        return (self.params.get("transport") or "udp").upper()


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """Any other URI scheme (tel:, http:, urn:…), kept as opaque text."""

    scheme: str
    opaque: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


Uri = SipUri | AbsoluteUri


def parse_uri(text: str, what: str = "URI", *, allow_headers: bool = True) -> Uri:
    """Parse a URI strictly; `allow_headers=False` refuses `?headers` (Request-URI)."""
    scheme, sep, rest = text.partition(":")
    if not sep or not is_scheme(scheme):
        raise SipParseError(f"Bad {what}: no URI scheme")
    if scheme.lower() not in ("sip", "sips"):
        if not rest or not _OPAQUE_RE.match(rest):
            raise SipParseError(f"Bad {what}: malformed {scheme} URI")
        return AbsoluteUri(scheme.lower(), rest)
    user: str | None = None
    password: str | None = None
    # The user part may itself hold ';', '?' and '/', so the '@' decides where it ends.
    at = rest.rfind("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        user, colon, pw = userinfo.partition(":")
        if not user:
            raise SipParseError(f"Bad {what}: empty user part")
        check_chars(user, USER_CHARS, what)
        if colon:
            password = check_chars(pw, PASSWORD_CHARS, what)
    rest, qmark, header_text = rest.partition("?")
    hostport, semi, param_text = rest.partition(";")
    host, port = split_hostport(hostport, what)
    params = parse_uri_params(param_text, what) if semi else NO_PARAMS
    headers: list[tuple[str, str]] = []
    if qmark:
        if not allow_headers:
            raise SipParseError(f"Bad {what}: headers are not allowed here")
        for chunk in header_text.split("&"):
            name, eq, value = chunk.partition("=")
            if not name or not eq:
                raise SipParseError(f"Bad {what}: malformed URI header")
            headers.append(
                (check_chars(name, HEADER_CHARS, what), check_chars(value, HEADER_CHARS, what))
            )
    return SipUri(
        host=host,
        user=user,
        password=password,
        port=port,
        scheme=scheme.lower(),
        params=params,
        headers=tuple(headers),
    )
