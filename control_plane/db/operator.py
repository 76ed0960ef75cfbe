"""The operator's first super-admin for a run: created once, its password kept in the run dir.

`make demo` prints where the password is; tests log in with it. A production site creates
its own with ``python -m control_plane.auth create-user`` instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_plane.auth.passwords import Passwords
from control_plane.db.engine import make_engine
from control_plane.db.models.tenancy import User

OPERATOR = "operator"


@dataclass(frozen=True)
class OperatorAccount:
    """The run's super-admin login."""

    username: str
    password: str
    password_file: Path


def ensure_operator(run_dir: Path, database: Path) -> OperatorAccount:
    """Create the ``operator`` super-admin in ``database`` unless it exists; its password is
    ``<run_dir>/operator_password`` (mode 0600)."""
    password_file = run_dir / "operator_password"
    if not password_file.exists():
        password_file.touch(mode=0o600)
        password_file.write_text(secrets.token_urlsafe(18), encoding="utf-8")
    password = password_file.read_text(encoding="utf-8").strip()
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session, session.begin():
            found = session.scalars(
                select(User).where(User.tenant.is_(None), User.username == OPERATOR)
            ).first()
            if found is None:
                session.add(User(tenant=None, username=OPERATOR, role="super_admin",
                                 password_hash=Passwords().hash(password), active=True,
                                 token_version=0))
    finally:
        engine.dispose()
    return OperatorAccount(OPERATOR, password, password_file)


def ensure_agent_users(run_dir: Path, database: Path,
                       agents: Mapping[tuple[str, str], int]) -> Path:
    """A login (role agent) for each of ``agents`` ((tenant, name) → agent id) unless one
    exists; their passwords are in ``<run_dir>/agent_passwords`` (one ``tenant name password``
    per line, mode 0600), for trying the agent desk in the demo."""
    path = run_dir / "agent_passwords"
    known: dict[tuple[str, str], str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            tenant, name, password = line.split(" ", 2)
            known[(tenant, name)] = password
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session, session.begin():
            for (tenant, name), agent_id in agents.items():
                exists = session.scalars(select(User).where(
                    User.tenant == tenant, User.username == name)).first()
                if exists is not None:
                    continue
                password = known.setdefault((tenant, name), secrets.token_urlsafe(12))
                session.add(User(tenant=tenant, username=name, role="agent",
                                 agent_id=agent_id, password_hash=Passwords().hash(password),
                                 active=True, token_version=0))
    finally:
        engine.dispose()
    if not path.exists():
        path.touch(mode=0o600)
    path.write_text("".join(f"{t} {n} {p}\n" for (t, n), p in sorted(known.items())),
                    encoding="utf-8")
    return path
