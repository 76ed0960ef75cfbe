"""RFC 3261 §25 character classes and a small scanner for header values.

Header values reach the scanner already unfolded (continuation lines joined with a space),
so linear white space is only SP and HTAB here.
"""

from __future__ import annotations

import re
import string

from control_plane.sipstack.errors import SipParseError

ALPHANUM = frozenset(string.ascii_letters + string.digits)
TOKEN_CHARS = ALPHANUM | frozenset("-.!%*_+`'~")
WORD_CHARS = TOKEN_CHARS | frozenset('()<>:\\"/[]?{}')
UNRESERVED = ALPHANUM | frozenset("-_.!~*'()")
USER_CHARS = UNRESERVED | frozenset("&=+$,;?/%")
PASSWORD_CHARS = UNRESERVED | frozenset("&=+$,%")
PARAM_CHARS = UNRESERVED | frozenset("[]/:&+$%")
HEADER_CHARS = UNRESERVED | frozenset("[]/?:+$%")
# gen-value = token / host / quoted-string; host adds the IPv6 reference brackets and colons.
GEN_VALUE_CHARS = TOKEN_CHARS | frozenset("[]:")
WS = frozenset(" \t")

_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*\Z")


def is_token(text: str) -> bool:
    """True if `text` is a non-empty RFC 3261 token."""
    return bool(text) and all(c in TOKEN_CHARS for c in text)


def is_scheme(text: str) -> bool:
    """True if `text` is a URI scheme name (RFC 3986)."""
    return bool(_SCHEME_RE.match(text))


def check_chars(text: str, allowed: frozenset[str], what: str) -> str:
    """Return `text` if every character is allowed and every `%` starts an escape."""
    for char in text:
        if char not in allowed:
            raise SipParseError(f"Bad {what}: character {char!r}")
    if "%" in text and _ESCAPE_RE.search(text):
        raise SipParseError(f"Bad {what}: broken % escape")
    return text


def quote(text: str) -> str:
    """Render `text` as a quoted-string, escaping backslash and double quote."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Scanner:
    """A cursor over one header value; every failure is a SipParseError naming `what`."""

    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.pos = 0
        self.what = what

    def fail(self, problem: str) -> SipParseError:
        """Build the error for this header value."""
        return SipParseError(f"Bad {self.what}: {problem}")

    def at_end(self) -> bool:
        """True once only white space is left."""
        self.skip_ws()
        return self.pos >= len(self.text)

    def skip_ws(self) -> None:
        """Step over SP and HTAB."""
        while self.pos < len(self.text) and self.text[self.pos] in WS:
            self.pos += 1

    def peek(self) -> str:
        """The next character after white space, or '' at the end."""
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        """Consume `char` (after optional white space) or fail."""
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def take(self, allowed: frozenset[str], name: str) -> str:
        """Consume a non-empty run of allowed characters (after optional white space)."""
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in allowed:
            self.pos += 1
        if self.pos == start:
            raise self.fail(f"missing {name}")
        return self.text[start : self.pos]

    def token(self, name: str = "token") -> str:
        """Consume an RFC 3261 token."""
        return self.take(TOKEN_CHARS, name)

    def quoted_string(self) -> str:
        """Consume a quoted-string and return its unescaped content."""
        self.expect('"')
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                if self.pos + 1 >= len(text) or text[self.pos + 1] in "\r\n":
                    raise self.fail("broken quoted-pair")
                out.append(text[self.pos + 1])
                self.pos += 2
                continue
            if char in "\r\n":
                raise self.fail("line break in quoted string")
            out.append(char)
            self.pos += 1
        raise self.fail("unterminated quoted string")

    def until(self, stops: str) -> str:
        """Consume up to (not including) the first of `stops` or the end."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]


def split_commas(value: str, what: str) -> list[str]:
    """Split a header value on the commas that separate values.

    Commas inside quoted strings and inside <...> belong to the value. An empty element
    (",," or a trailing comma) is an error: RFC 3261 lists have no empty members.
    """
    parts: list[str] = []
    start = 0
    in_quotes = False
    in_angle = False
    i = 0
    while i < len(value):
        char = value[i]
        if in_quotes:
            if char == "\\":
                i += 1
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_angle = True
        elif char == ">":
            in_angle = False
        elif char == "," and not in_angle:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    if in_quotes:
        raise SipParseError(f"Bad {what}: unterminated quoted string")
    parts.append(value[start:])
    stripped = [part.strip(" \t") for part in parts]
    if any(not part for part in stripped):
        raise SipParseError(f"Bad {what}: empty list element")
    return stripped
