"""The real application on a real, migrated SQLite database, with a cast of users.

acme: admin adam, supervisor sue, team lead lee (team red), agents ann (red) and al (blue),
analyst ana; globex: admin gina, agent gus; the operator: root (super_admin). Every
password is ``PASSWORD``.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser, User
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.models import Agent, Team, Tenant
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.runtime.settings import load_settings

PASSWORD = "correct horse battery"
SECRET = "integration-test-token-secret-0123456789"
# Cheap argon2 for the cast (verification cost follows the hash's own parameters).
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Center:
    """A started app, its client, its database and its users by username."""

    client: TestClient[Any, Any]
    db_url: str
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)

    async def login(self, username: str, password: str = PASSWORD) -> str:
        user = self.users[username]
        resp = await self.client.post("/api/v1/auth/login", json={
            "tenant": user.tenant, "username": username, "password": password})
        assert resp.status == 200, await resp.text()
        token: str = (await resp.json())["token"]
        return token


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-db") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


async def _seed(directory: SqlUserDirectory, db_url: str) -> tuple[dict[str, User],
                                                                     dict[str, int]]:
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        s.add_all([Tenant(id="acme", name="Acme"), Tenant(id="globex", name="Globex")])
        s.flush()
        red, blue = Team(tenant="acme", name="red"), Team(tenant="acme", name="blue")
        s.add_all([red, blue])
        s.flush()
        ann_agent = Agent(tenant="acme", name="Ann", team_id=red.id)
        al_agent = Agent(tenant="acme", name="Al", team_id=blue.id)
        s.add_all([ann_agent, al_agent])
        s.flush()
        teams = {"red": red.id, "blue": blue.id}
        agents = {"ann": ann_agent.id, "al": al_agent.id}
    engine.dispose()
    cast = [
        (None, "root", Role.SUPER_ADMIN, None), ("acme", "adam", Role.ADMIN, None),
        ("acme", "sue", Role.SUPERVISOR, None), ("acme", "lee", Role.TEAM_LEAD, "red"),
        ("acme", "ann", Role.AGENT, "red"), ("acme", "al", Role.AGENT, "blue"),
        ("acme", "ana", Role.ANALYST, None), ("globex", "gina", Role.ADMIN, None),
        ("globex", "gus", Role.AGENT, None),
    ]
    users = {}
    hashed = _CHEAP.hash(PASSWORD)
    for tenant, name, role, team in cast:
        users[name] = await directory.create(NewUser(
            tenant=tenant, username=name, password_hash=hashed, role=role,
            team_id=teams[team] if team else None, agent_id=agents.get(name)))
    return users, teams


CenterFactory = Callable[..., Awaitable[Center]]


@pytest.fixture
def center_factory(aiohttp_client: Any, template_db: Path, tmp_path: Path) -> CenterFactory:
    """Start a center; keyword arguments become ``CC_AUTH__*`` settings."""
    started = itertools.count()

    async def start(**auth: str) -> Center:
        db = tmp_path / f"cc{next(started)}.sqlite"
        shutil.copy(template_db, db)
        db_url = f"sqlite:///{db}"
        env = {"CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml",
               "CC_DATABASE__URL": db_url, "CC_AUTH__TOKEN_SECRET": SECRET,
               **{f"CC_AUTH__{k.upper()}": v for k, v in auth.items()}}
        directory = SqlUserDirectory(make_engine(db_url))
        users, teams = await _seed(directory, db_url)
        client = await aiohttp_client(create_app(load_settings(environ=env)))
        return Center(client, db_url, users, teams)
    return start


@pytest.fixture
async def center(center_factory: CenterFactory) -> Center:
    return await center_factory()
