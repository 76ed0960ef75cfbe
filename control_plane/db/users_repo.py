"""The SQL adapter of the API's user directory (``control_plane.auth.users.UserDirectory``).

Each call is one short transaction in a worker thread, so the event loop never waits on the
database. Database errors come out as the directory's own: the login taken, a reference
that does not exist, or the database unreachable (which the API answers with a 503).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from control_plane.auth.permissions import Role
from control_plane.auth.users import (
    DirectoryUnavailableError,
    NewUser,
    UnknownReferenceError,
    User,
    UserExistsError,
    validate_new_user,
)
from control_plane.db.errors import Conflict, Unavailable
from control_plane.db.models import Agent, Team, Tenant
from control_plane.db.models import User as UserRow
from control_plane.db.repos.base import flush, translated

T = TypeVar("T")


def _record(row: UserRow) -> User:
    return User(id=row.id, tenant=row.tenant, username=row.username,
                password_hash=row.password_hash, role=Role(row.role), team_id=row.team_id,
                agent_id=row.agent_id, active=row.active, token_version=row.token_version,
                created_at=row.created_at)


class SqlUserDirectory:
    """Users in the configuration database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _run(self, work: Callable[[Session], T]) -> T:
        try:
            # translated() outside begin(): a failed COMMIT is "unavailable" too.
            with Session(self._engine, expire_on_commit=False) as session, translated(), \
                    session.begin():
                return work(session)
        except Unavailable as exc:
            raise DirectoryUnavailableError(str(exc).removeprefix("database unavailable: ")) \
                from exc

    async def _call(self, work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._run, work)

    async def by_login(self, tenant: str | None, username: str) -> User | None:
        """See :meth:`UserDirectory.by_login`."""
        def work(s: Session) -> User | None:
            where = UserRow.tenant.is_(None) if tenant is None else UserRow.tenant == tenant
            row = s.scalars(select(UserRow).where(where, UserRow.username == username)).first()
            return None if row is None else _record(row)
        return await self._call(work)

    async def by_id(self, user_id: int) -> User | None:
        """See :meth:`UserDirectory.by_id`."""
        def work(s: Session) -> User | None:
            row = s.get(UserRow, user_id)
            return None if row is None else _record(row)
        return await self._call(work)

    async def bump_token_version(self, user_id: int) -> int:
        """See :meth:`UserDirectory.bump_token_version` (one atomic UPDATE)."""
        def work(s: Session) -> int:
            version = s.scalar(update(UserRow).where(UserRow.id == user_id)
                               .values(token_version=UserRow.token_version + 1)
                               .returning(UserRow.token_version))
            if version is None:
                raise KeyError(user_id)
            return int(version)
        return await self._call(work)

    async def create(self, new: NewUser) -> User:
        """See :meth:`UserDirectory.create`."""
        validate_new_user(new)

        def work(s: Session) -> User:
            _check_references(s, new)
            row = UserRow(tenant=new.tenant, username=new.username,
                          password_hash=new.password_hash, role=new.role.value,
                          team_id=new.team_id, agent_id=new.agent_id)
            s.add(row)
            flush(s)
            return _record(row)
        try:
            return await self._call(work)
        except Conflict as exc:
            raise UserExistsError(f"user {new.username!r} exists in tenant {new.tenant!r}") \
                from exc

    async def list(self, tenant: str | None, *, team_id: int | None = None, offset: int,
                   limit: int) -> list[User]:
        """See :meth:`UserDirectory.list`."""
        def work(s: Session) -> list[User]:
            stmt = select(UserRow).order_by(UserRow.id).offset(offset).limit(limit)
            if tenant is not None:
                stmt = stmt.where(UserRow.tenant == tenant)
            if team_id is not None:
                stmt = stmt.where(UserRow.team_id == team_id)
            return [_record(r) for r in s.scalars(stmt)]
        return await self._call(work)

    async def set_active(self, user_id: int, active: bool) -> None:
        """Deactivate or reactivate a user: an inactive user's tokens stop working at once."""
        def work(s: Session) -> None:
            s.execute(update(UserRow).where(UserRow.id == user_id).values(active=active))
        await self._call(work)


def _check_references(s: Session, new: NewUser) -> None:
    # Checked here, by name, rather than left to foreign keys: the API can then say which
    # field is wrong, and a team or agent of another tenant is refused like a missing one.
    if new.tenant is not None and s.get(Tenant, new.tenant) is None:
        raise UnknownReferenceError("tenant", new.tenant)
    if new.team_id is not None:
        team = s.get(Team, new.team_id)
        if team is None or team.tenant != new.tenant:
            raise UnknownReferenceError("team_id", new.team_id)
    if new.agent_id is not None:
        agent = s.get(Agent, new.agent_id)
        if agent is None or agent.tenant != new.tenant:
            raise UnknownReferenceError("agent_id", new.agent_id)
