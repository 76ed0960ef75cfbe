"""Signed bearer tokens: ``v1.<claims>.<signature>``, HMAC-SHA256 over the first two parts.

The claims (base64url JSON) carry the user id, tenant, role, the user's token version and the
issue and expiry times. A token is only as good as the user behind it: the API also checks
that the user still exists, is active and has the same token version (logout bumps it), so
the signature proves origin and the directory proves the token is still wanted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from control_plane.auth.permissions import Role

PREFIX = "v1"
MIN_SECRET_BYTES = 32
_SHAPE = re.compile(r"v1\.[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}")


class TokenError(ValueError):
    """A token cannot be accepted; subclasses say why."""


class TokenInvalidError(TokenError):
    """Malformed, signed with another key, or altered."""


class TokenExpiredError(TokenError):
    """Well-formed and genuine, but past its expiry."""


@dataclass(frozen=True, slots=True)
class Claims:
    """What a token says about its bearer."""

    user_id: int
    tenant: str | None
    role: Role
    token_version: int
    issued_at: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and verifies tokens with one secret; ``clock`` returns Unix seconds."""

    def __init__(self, secret: bytes, *, ttl_seconds: int,
                 clock: Callable[[], float] = time.time) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret needs at least {MIN_SECRET_BYTES} bytes")
        self._key = secret
        self._ttl = ttl_seconds
        self._clock = clock

    @property
    def ttl_seconds(self) -> int:
        """How long an issued token stays valid."""
        return self._ttl

    def _sign(self, signed_part: str) -> str:
        return _b64(hmac.new(self._key, signed_part.encode("ascii"), hashlib.sha256).digest())

    def issue(self, *, user_id: int, tenant: str | None, role: Role,
              token_version: int) -> tuple[str, Claims]:
        """A new token for this user, and the claims it carries."""
        now = int(self._clock())
        claims = Claims(user_id, tenant, role, token_version, now, now + self._ttl)
        body = {"sub": user_id, "ten": tenant, "rol": role.value, "ver": token_version,
                "iat": claims.issued_at, "exp": claims.expires_at}
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        signed_part = f"{PREFIX}.{payload}"
        return f"{signed_part}.{self._sign(signed_part)}", claims

    def verify(self, token: str) -> Claims:
        """The claims of a genuine, unexpired token; raises :class:`TokenError` otherwise."""
        if not _SHAPE.fullmatch(token):
            raise TokenInvalidError("not a token of this service")
        parts = token.split(".")
        expected = self._sign(f"{parts[0]}.{parts[1]}")
        # Constant time: the comparison must not reveal how much of a forged signature is right.
        if not hmac.compare_digest(expected.encode("ascii"), parts[2].encode("ascii")):
            raise TokenInvalidError("bad token signature")
        claims = _parse(parts[1])
        if self._clock() >= claims.expires_at:
            raise TokenExpiredError("token expired")
        return claims


def _parse(payload: str) -> Claims:
    try:
        body: Any = json.loads(_unb64(payload))
        tenant = body["ten"]
        if tenant is not None and not isinstance(tenant, str):
            raise TypeError("tenant")
        fields = (body["sub"], body["ver"], body["iat"], body["exp"])
        if not all(type(v) is int for v in fields):
            raise TypeError("numbers")
        return Claims(body["sub"], tenant, Role(body["rol"]), body["ver"], body["iat"],
                      body["exp"])
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError,
            ValueError) as exc:
        # Only reachable with our own key (the signature matched): a bug, not an attacker.
        raise TokenInvalidError("token claims unreadable") from exc
