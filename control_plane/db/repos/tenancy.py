"""Tenants and users: what login, logout-everywhere and the admin pages need.

Users are not a plain tenant-owned entity: the operator's super-admins have no tenant.
Passwords arrive already hashed (argon2, by the API's auth module); this module never
sees a password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.errors import Conflict, NotFound, ValidationFailed
from control_plane.db.repos.base import Page, flush, get_owned, paginate, translated
from control_plane.db.repos.crud import refuse_if_referenced
from control_plane.db.repos.fields import Field, check_fields, slug, time_zone
from control_plane.db.vocab import OPERATOR_ROLE, ROLES

TENANT_FIELDS = {
    "id": Field(str, required=True, immutable=True, max_len=64, check=slug),
    "name": Field(str, required=True, max_len=200),
    "time_zone": Field(str, max_len=64, check=time_zone),
    "recording_notice": Field(bool),
}

USER_FIELDS = {
    "username": Field(str, required=True, max_len=128),
    "password_hash": Field(
        str, required=True, max_len=255,
        check=lambda v: None if v.startswith("$argon2") else "must be an argon2 hash",
    ),
    "role": Field(str, required=True, choices=ROLES),
    "team_id": Field(int, nullable=True),
    "agent_id": Field(int, nullable=True),
    "active": Field(bool),
}


def create_tenant(session: Session, data: Mapping[str, Any]) -> m.Tenant:
    """A new tenant; ``id`` is its slug (Conflict if taken)."""
    values = check_fields(TENANT_FIELDS, data, creating=True)
    with translated():
        if session.get(m.Tenant, values["id"]) is not None:
            raise Conflict("pk_tenants", f"tenant {values['id']!r} already exists")
    tenant = m.Tenant(**values)
    session.add(tenant)
    flush(session)
    return tenant


def get_tenant(session: Session, tenant_id: str) -> m.Tenant:
    """One tenant; NotFound otherwise."""
    with translated():
        tenant = session.get(m.Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenants", tenant_id)
    return tenant


def list_tenants(session: Session, *, limit: int = 50, offset: int = 0) -> Page[m.Tenant]:
    """One page of tenants by slug (the operator's view)."""
    return paginate(session, select(m.Tenant).order_by(m.Tenant.id), limit=limit, offset=offset)


def update_tenant(session: Session, tenant_id: str, changes: Mapping[str, Any]) -> m.Tenant:
    """Rename a tenant, change its time zone or recording notice."""
    tenant = get_tenant(session, tenant_id)
    for name, value in check_fields(TENANT_FIELDS, changes, creating=False).items():
        setattr(tenant, name, value)
    flush(session)
    return tenant


def delete_tenant(session: Session, tenant_id: str) -> None:
    """Delete a tenant and, by cascade, everything it owns (not its SIP credentials,
    which the stack provisions and removes itself)."""
    tenant = get_tenant(session, tenant_id)
    refuse_if_referenced(session, tenant)
    session.delete(tenant)
    flush(session)


def create_user(session: Session, tenant: str | None, data: Mapping[str, Any]) -> m.User:
    """A new user of ``tenant`` (None: an operator super-admin)."""
    values = check_fields(USER_FIELDS, data, creating=True)
    _check_user(session, tenant, values)
    user = m.User(tenant=tenant, **values)
    session.add(user)
    flush(session)
    return user


def get_user(session: Session, user_id: int) -> m.User:
    """One user by id, whatever the tenant (tokens carry the id); NotFound otherwise."""
    with translated():
        user = session.get(m.User, user_id)
    if user is None:
        raise NotFound("users", user_id)
    return user


def user_by_login(session: Session, tenant: str | None, username: str) -> m.User | None:
    """The user ``username`` of ``tenant`` (None: the operator's), for login."""
    condition = m.User.tenant.is_(None) if tenant is None else m.User.tenant == tenant
    with translated():
        return session.scalars(
            select(m.User).where(condition, m.User.username == username)
        ).one_or_none()


def list_users(
    session: Session,
    tenant: str | None,
    *,
    team_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[m.User]:
    """One page of a tenant's users (None: every user, for the operator), by id."""
    stmt = select(m.User).order_by(m.User.id)
    if tenant is not None:
        stmt = stmt.where(m.User.tenant == tenant)
    if team_id is not None:
        stmt = stmt.where(m.User.team_id == team_id)
    return paginate(session, stmt, limit=limit, offset=offset)


def update_user(session: Session, user_id: int, changes: Mapping[str, Any]) -> m.User:
    """Change a user's role, team, agent link, password hash or active flag."""
    user = get_user(session, user_id)
    values = check_fields(USER_FIELDS, changes, creating=False)
    _check_user(session, user.tenant, {"role": user.role, **values})
    for name, value in values.items():
        setattr(user, name, value)
    if "password_hash" in values or values.get("active") is False:
        # A new password or a deactivation ends every session the user had.
        user.token_version += 1
    flush(session)
    return user


def bump_token_version(session: Session, user_id: int) -> int:
    """Log the user out everywhere: tokens with an older version are refused. The new one.

    One atomic UPDATE, so two concurrent logouts both take effect.
    """
    with translated():
        new = session.scalar(
            update(m.User)
            .where(m.User.id == user_id)
            .values(token_version=m.User.token_version + 1)
            .returning(m.User.token_version)
        )
    if new is None:
        raise NotFound("users", user_id)
    return int(new)


def delete_user(session: Session, user_id: int) -> None:
    """Delete a user (notes and flow versions they wrote keep a NULL author)."""
    user = get_user(session, user_id)
    session.delete(user)
    flush(session)


def _check_user(session: Session, tenant: str | None, values: Mapping[str, Any]) -> None:
    role = values.get("role")
    if (role == OPERATOR_ROLE) != (tenant is None):
        raise ValidationFailed("role", f"{OPERATOR_ROLE} has no tenant; every other role has one")
    for name, model in (("team_id", m.Team), ("agent_id", m.Agent)):
        ref = values.get(name)
        if ref is None:
            continue
        if tenant is None:
            raise ValidationFailed(name, "operator users belong to no team or agent")
        try:
            get_owned(session, model, tenant, ref)
        except NotFound:
            raise ValidationFailed(name, f"no {model.__tablename__} {ref} in this tenant") from None
