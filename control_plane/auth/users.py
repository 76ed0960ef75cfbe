"""Who may log in: the user record and the directory port the API reads users through.

The API depends on the :class:`UserDirectory` Protocol only; the SQL adapter lives in
``control_plane/db/users_repo.py`` and :class:`MemoryUserDirectory` serves unit tests and a
process without a database.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from control_plane.auth.permissions import Role


@dataclass(frozen=True, slots=True)
class User:
    """One account. ``tenant`` is None only for the operator's ``super_admin``."""

    id: int
    tenant: str | None
    username: str
    password_hash: str
    role: Role
    team_id: int | None = None
    agent_id: int | None = None
    active: bool = True
    token_version: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class NewUser:
    """What creating a user takes; the directory assigns id, created_at and token_version."""

    tenant: str | None
    username: str
    password_hash: str
    role: Role
    team_id: int | None = None
    agent_id: int | None = None


class UserExistsError(ValueError):
    """A user with this username already exists in this tenant."""


class UnknownReferenceError(ValueError):
    """The new user names a tenant, team or agent that does not exist (in its tenant)."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(f"{field} {value!r} does not exist")
        self.field = field


class DirectoryUnavailableError(RuntimeError):
    """The store behind the directory cannot be reached; the message says why."""


class UserDirectory(Protocol):
    """Lookup and the few changes authentication needs; implementations are safe to share."""

    async def by_login(self, tenant: str | None, username: str) -> User | None:
        """The user ``username`` of ``tenant`` (None: the operator's users), if any."""
        ...

    async def by_id(self, user_id: int) -> User | None:
        """The user with this id, if any."""
        ...

    async def bump_token_version(self, user_id: int) -> int:
        """Invalidate every token issued to the user so far; returns the new version."""
        ...

    async def create(self, new: NewUser) -> User:
        """Add a user; :class:`UserExistsError` if the login is taken,
        :class:`UnknownReferenceError` if its tenant, team or agent does not exist."""
        ...

    async def list(self, tenant: str | None, *, team_id: int | None = None, offset: int,
                   limit: int) -> list[User]:
        """Users of ``tenant`` (None: all), of team ``team_id`` if given, by id, one page."""
        ...


def validate_new_user(new: NewUser) -> None:
    """The rules every directory enforces: super_admin has no tenant, everyone else has one."""
    if (new.role is Role.SUPER_ADMIN) != (new.tenant is None):
        raise ValueError("super_admin users have no tenant; every other role needs one")


class MemoryUserDirectory:
    """A :class:`UserDirectory` in process memory (unit tests, a database-less process)."""

    def __init__(self) -> None:
        self._users: dict[int, User] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def by_login(self, tenant: str | None, username: str) -> User | None:
        """See :meth:`UserDirectory.by_login`."""
        for user in self._users.values():
            if user.tenant == tenant and user.username == username:
                return user
        return None

    async def by_id(self, user_id: int) -> User | None:
        """See :meth:`UserDirectory.by_id`."""
        return self._users.get(user_id)

    async def bump_token_version(self, user_id: int) -> int:
        """See :meth:`UserDirectory.bump_token_version`."""
        async with self._lock:
            user = self._users[user_id]
            self._users[user_id] = replace(user, token_version=user.token_version + 1)
            return user.token_version + 1

    async def create(self, new: NewUser) -> User:
        """See :meth:`UserDirectory.create`."""
        validate_new_user(new)
        async with self._lock:
            if await self.by_login(new.tenant, new.username) is not None:
                raise UserExistsError(f"user {new.username!r} exists in tenant {new.tenant!r}")
            user = User(id=next(self._ids), tenant=new.tenant, username=new.username,
                        password_hash=new.password_hash, role=new.role, team_id=new.team_id,
                        agent_id=new.agent_id)
            self._users[user.id] = user
            return user

    async def list(self, tenant: str | None, *, team_id: int | None = None, offset: int,
                   limit: int) -> list[User]:
        """See :meth:`UserDirectory.list`."""
        rows = sorted((u for u in self._users.values()
                       if (tenant is None or u.tenant == tenant)
                       and (team_id is None or u.team_id == team_id)), key=lambda u: u.id)
        return rows[offset:offset + limit]

    async def set_active(self, user_id: int, active: bool) -> None:
        """Deactivate or reactivate a user (tests use it; the SQL adapter has its own)."""
        self._users[user_id] = replace(self._users[user_id], active=active)
