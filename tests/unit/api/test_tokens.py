"""Bearer tokens: signed, expiring, and refused when altered."""

from __future__ import annotations

import base64
import json

import pytest

from control_plane.auth.permissions import Role
from control_plane.auth.tokens import (
    TokenExpiredError,
    TokenInvalidError,
    TokenSigner,
)

SECRET = b"s" * 32


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _signer(clock: Clock, secret: bytes = SECRET, ttl: int = 600) -> TokenSigner:
    return TokenSigner(secret, ttl_seconds=ttl, clock=clock)


def test_issue_then_verify_round_trip() -> None:
    clock = Clock()
    token, claims = _signer(clock).issue(user_id=7, tenant="acme", role=Role.TEAM_LEAD,
                                         token_version=3)
    assert token.startswith("v1.") and token.count(".") == 2
    back = _signer(clock).verify(token)
    assert back == claims
    assert (back.user_id, back.tenant, back.role, back.token_version) == (
        7, "acme", Role.TEAM_LEAD, 3)
    assert back.expires_at - back.issued_at == 600


def test_operator_token_has_no_tenant() -> None:
    clock = Clock()
    token, _ = _signer(clock).issue(user_id=1, tenant=None, role=Role.SUPER_ADMIN,
                                    token_version=0)
    assert _signer(clock).verify(token).tenant is None


def test_expiry_is_exact() -> None:
    clock = Clock()
    token, claims = _signer(clock).issue(user_id=1, tenant="t", role=Role.AGENT,
                                         token_version=0)
    clock.now = claims.expires_at - 0.001
    _signer(clock).verify(token)
    clock.now = claims.expires_at
    with pytest.raises(TokenExpiredError):
        _signer(clock).verify(token)


def _reencode(token: str, **changes: object) -> str:
    prefix, payload, sig = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(changes)
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{sig}"


@pytest.mark.parametrize("change", [{"rol": "super_admin"}, {"ten": "other"}, {"sub": 2},
                                    {"ver": 9}, {"exp": 1_900_000_000}])
def test_altered_claims_are_refused(change: dict[str, object]) -> None:
    clock = Clock()
    token, _ = _signer(clock).issue(user_id=1, tenant="t", role=Role.AGENT, token_version=0)
    with pytest.raises(TokenInvalidError, match="signature"):
        _signer(clock).verify(_reencode(token, **change))


def test_other_secret_and_altered_signature_are_refused() -> None:
    clock = Clock()
    token, _ = _signer(clock).issue(user_id=1, tenant="t", role=Role.AGENT, token_version=0)
    with pytest.raises(TokenInvalidError):
        _signer(clock, secret=b"x" * 32).verify(token)
    last = "A" if token[-1] != "A" else "B"
    with pytest.raises(TokenInvalidError):
        _signer(clock).verify(token[:-1] + last)


@pytest.mark.parametrize("garbage", ["", "v1", "v1..", "v2.a.b", "a.b.c.d", "v1.é.ü",
                                     "Bearer v1.x.y", "v1.e30.AAAA"])
def test_malformed_tokens_are_refused(garbage: str) -> None:
    with pytest.raises(TokenInvalidError):
        _signer(Clock()).verify(garbage)


def test_token_with_trailing_newline_is_refused() -> None:
    clock = Clock()
    token, _ = _signer(clock).issue(user_id=1, tenant="t", role=Role.AGENT, token_version=0)
    with pytest.raises(TokenInvalidError):
        _signer(clock).verify(token + "\n")


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TokenSigner(b"short", ttl_seconds=60)
