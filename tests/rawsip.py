"""A tiny SIP client for hostile tests: floods, password guessing, user enumeration.

Deliberately minimal (one UDP socket bound to a chosen source address, one request at a
time): the point is to behave like an attacker's script, not like a good user agent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """A SIP response: status code, reason phrase and headers (names lower-cased)."""

    status: int
    reason: str
    headers: dict[str, str]


class RawSipClient:
    """Sends requests from ``source_ip`` and reads the replies."""

    def __init__(self, source_ip: str, target: tuple[str, int], timeout: float = 1.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source_ip, 0))
        self.sock.settimeout(timeout)
        self.source = self.sock.getsockname()
        self.target = target

    def close(self) -> None:
        """Release the socket."""
        self.sock.close()

    def request(self, method: str, user: str, domain: str, *, extra: str = "",
                user_agent: str = "rawsip-test", wait: bool = True) -> Reply | None:
        """Send one request for ``user@domain``; the final reply, or None on silence."""
        ip, port = self.source
        call_id = secrets.token_hex(8)
        uri = f"sip:{domain}" if method == "REGISTER" else f"sip:{self.target[0]}"
        msg = (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:{user}@{domain}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:{user}@{domain}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: 1 {method}\r\n"
            f"Contact: <sip:{user}@{ip}:{port}>\r\n"
            f"User-Agent: {user_agent}\r\n"
            f"{extra}"
            "Content-Length: 0\r\n\r\n"
        )
        self.sock.sendto(msg.encode(), self.target)
        if not wait:
            return None
        while True:
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                return None
            if call_id.encode() not in data:
                continue
            reply = _parse(data)
            if reply.status >= 200:
                return reply

    def register(self, user: str, domain: str, password: str) -> Reply | None:
        """REGISTER, answer the digest challenge with ``password``; the final reply."""
        first = self.request("REGISTER", user, domain)
        if first is None or first.status != 401:
            return first
        return self.request("REGISTER", user, domain,
                            extra=digest_header(first, user, domain, password, "REGISTER"))


def digest_header(challenge: Reply, user: str, domain: str, password: str,
                  method: str) -> str:
    """The Authorization header answering a 401 challenge (MD5, qop=auth)."""
    fields = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge.headers["www-authenticate"]))
    realm, nonce = fields["realm"], fields["nonce"]
    uri = f"sip:{domain}"
    cnonce, nc = secrets.token_hex(4), "00000001"
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", '
            "algorithm=MD5\r\n")


def _parse(data: bytes) -> Reply:
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    _, code, *reason = head[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(code), reason[0] if reason else "", headers)
