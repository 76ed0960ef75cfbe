"""Tenants, their teams, pause reasons and the people who log in (users with roles)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.db.models.base import (
    NAME_LEN,
    SLUG_LEN,
    Base,
    TenantOwned,
    check_in,
    created_at_column,
)
from control_plane.db.vocab import OPERATOR_ROLE, ROLES


class Tenant(Base):
    """A customer organisation of the operator; its slug is the key every row carries."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(SLUG_LEN), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Play "this call may be recorded" before queueing (a legal requirement in many places).
    recording_notice: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    created_at: Mapped[datetime] = created_at_column()


class PauseReason(TenantOwned, Base):
    """A reason code an agent picks when pausing (lunch, training, after-call work...)."""

    __tablename__ = "pause_reasons"
    __table_args__ = (UniqueConstraint("tenant", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(NAME_LEN))
    # Paid pauses count as working time in occupancy reports.
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Team(TenantOwned, Base):
    """A group of agents under a team lead."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))


class User(Base):
    """Someone who logs in to the desk, wallboard or admin pages.

    ``tenant`` is NULL exactly for the operator's super-admins (a CHECK says so). Usernames
    are unique per tenant, and among super-admins by a partial unique index (NULLs are
    distinct in a plain unique constraint). Deleting a tenant deletes its users; deleting a
    team or agent only unlinks them.
    """

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant", "username"),
        CheckConstraint(check_in("role", ROLES), name="role"),
        CheckConstraint(
            f"(tenant IS NULL) = (role = '{OPERATOR_ROLE}')", name="operator_has_no_tenant"
        ),
        CheckConstraint("token_version >= 0", name="token_version"),
        Index(
            "uq_users_operator_username",
            "username",
            unique=True,
            sqlite_where=text("tenant IS NULL"),
            postgresql_where=text("tenant IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant: Mapped[str | None] = mapped_column(
        String(SLUG_LEN), ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(128))
    # An argon2 PHC string; hashing and verifying happen in the API's auth module.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = created_at_column()
    # Bumped by "log out everywhere": tokens carrying an older version are refused.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
