"""Login, token checks and logout: the authentication use cases behind the API routes."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from control_plane.api.errors import (
    DependencyUnavailable,
    InvalidCredentials,
    RateLimited,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
)
from control_plane.auth.passwords import Passwords
from control_plane.auth.principal import Principal
from control_plane.auth.ratelimit import SlidingWindow
from control_plane.auth.secret import token_secret
from control_plane.auth.tokens import Claims, TokenExpiredError, TokenSigner
from control_plane.auth.tokens import TokenError as _TokenError
from control_plane.auth.users import DirectoryUnavailableError, User, UserDirectory
from control_plane.runtime.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Session:
    """A successful login: the bearer token, what it claims, and the user."""

    token: str
    claims: Claims
    user: User


def principal_of(user: User) -> Principal:
    """The request-scoped view of a user."""
    return Principal(user_id=user.id, username=user.username, tenant=user.tenant,
                     role=user.role, team_id=user.team_id, agent_id=user.agent_id)


async def _directory(call: Awaitable[T]) -> T:
    try:
        return await call
    except DirectoryUnavailableError as exc:
        raise DependencyUnavailable("database", str(exc)) from exc


class AuthService:
    """Checks passwords and tokens against the user directory; limits login attempts."""

    def __init__(self, *, users: UserDirectory, signer: TokenSigner, passwords: Passwords,
                 per_ip: SlidingWindow, per_user: SlidingWindow) -> None:
        self.users = users
        self.signer = signer
        self.passwords = passwords
        self._per_ip = per_ip
        self._per_user = per_user

    @classmethod
    def from_settings(cls, settings: Settings, users: UserDirectory,
                      passwords: Passwords | None = None) -> AuthService:
        """The service as the settings describe it (secret, lifetime, rate limits)."""
        auth = settings.auth
        return cls(
            users=users,
            signer=TokenSigner(token_secret(settings), ttl_seconds=auth.token_ttl_seconds),
            passwords=passwords or Passwords(),
            per_ip=SlidingWindow(limit=auth.login_attempts_per_ip,
                                 window_seconds=auth.login_window_seconds),
            per_user=SlidingWindow(limit=auth.login_failures_per_user,
                                   window_seconds=auth.login_window_seconds),
        )

    async def login(self, *, tenant: str | None, username: str, password: str,
                    client: str) -> Session:
        """A token for valid credentials; ``auth.invalid_credentials`` or ``rate_limited``.

        Every attempt counts against the client address; failures also count against the
        (address, tenant, username) pair. Unknown user, inactive user and wrong password
        look the same from outside: same error, and one argon2 verification each.
        """
        user_key = (client, tenant, username.casefold())
        waits = [w for w in (self._per_ip.retry_after(client),
                             self._per_user.retry_after(user_key)) if w is not None]
        if waits:
            log.warning("login rate limited", client=client, username=username, tenant=tenant)
            raise RateLimited(max(waits))
        self._per_ip.hit(client)
        user = await _directory(self.users.by_login(tenant, username))
        ok = await self.passwords.verify_async(user.password_hash if user else None, password)
        if user is None or not ok or not user.active:
            self._per_user.hit(user_key)
            log.info("login failed", client=client, username=username, tenant=tenant)
            raise InvalidCredentials()
        token, claims = self.signer.issue(user_id=user.id, tenant=user.tenant, role=user.role,
                                          token_version=user.token_version)
        log.info("login", user=user.id, tenant=user.tenant, role=user.role.value)
        return Session(token, claims, user)

    async def authenticate(self, token: str) -> Principal:
        """The user behind a bearer token, as the directory knows them now."""
        try:
            claims = self.signer.verify(token)
        except TokenExpiredError as exc:
            raise TokenExpired() from exc
        except _TokenError as exc:
            raise TokenInvalid() from exc
        user = await _directory(self.users.by_id(claims.user_id))
        # Logout bumps the version; a deactivated user or a moved tenant ends every token.
        if (user is None or not user.active or user.token_version != claims.token_version
                or user.tenant != claims.tenant):
            raise TokenRevoked()
        return principal_of(user)

    async def logout(self, principal: Principal) -> None:
        """End every token of this user issued so far (all their sessions)."""
        await _directory(self.users.bump_token_version(principal.user_id))
        log.info("logout", user=principal.user_id)
