"""Password hashing with argon2id (argon2-cffi), and a verify that costs the same for everyone.

Login must not tell an unknown user from a wrong password, by message or by time: when
there is no user to check against, :meth:`Passwords.verify` is still called, with ``None``,
and spends one full argon2 verification on a dummy hash made with the same parameters.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10


class WeakPasswordError(ValueError):
    """The password is too short to be accepted."""


class Passwords:
    """Hash and verify passwords; the argon2 cost is the library's default unless given."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # A hash of a random secret: verifying anything against it fails, at full cost.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        """An argon2id hash string of ``password``; refuses passwords under 10 characters."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPasswordError(
                f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored_hash``; None costs as much and is False."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and (
                stored_hash is not None)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify_async(self, stored_hash: str | None, password: str) -> bool:
        """:meth:`verify` in a worker thread: argon2 is tens of ms of CPU and memory."""
        return await asyncio.to_thread(self.verify, stored_hash, password)
